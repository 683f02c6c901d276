// A fake LLM upstream: the `FakeUpstream` module.
//
// It owns a Hummingbird server speaking the OpenAI, Anthropic and Ollama wire
// formats on loopback, with scriptable faults, latency distributions and request counts, for
// tests, the demo and benchmarks (docs/fake-upstream.md).
