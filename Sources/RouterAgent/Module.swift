// The router over Kafka: the `RouterAgent` module.
//
// It owns `RouterHandler` (routing decisions journaled on
// `llm.router.journal` before a request is forwarded, waits through `llm.router.delays`, the registry
// followed from `llm.status`) and `LLMRouter`, the handler on a `KafkaWorker`.
