// The provider adapters over HTTP: the `Providers` module.
//
// It owns the OpenAI, Anthropic, Ollama and llama.cpp adapters
// (`LLMProvider` implementations on async-http-client), their error mapping, rate-limit headers and
// stream parsing (docs/providers.md).
