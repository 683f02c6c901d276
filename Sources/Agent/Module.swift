// The provider agent over Kafka: the `Agent` module.
//
// It owns `AgentHandler` (what a message on `llm.requests.<provider>` means and what answers
// it), `ProviderAgent` (the handler on a `KafkaWorker`), the ledger's use of the runtime's journal,
// the control topic (`configure_*` signals) and `provider_status` publishing. Rules live in
// AgentCore, the loop in WorkerRuntime, the wire format in Signals; this module joins them.
