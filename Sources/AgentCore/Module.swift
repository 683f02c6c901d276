// The agent's pure rules: the `AgentCore` module.
//
// It owns admission (rate limiter, circuit breaker, concurrency, model
// checks), the request pipeline's decisions, metrics and the request tracker, the provider
// protocol (`LLMProvider`) and the deterministic test provider. Plain values with injected clocks:
// no Kafka, no HTTP, no I/O; may import Signals and Common only.
