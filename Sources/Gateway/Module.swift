// The OpenAI-compatible HTTP gateway: the `Gateway` module.
//
// It owns the HTTP face of the system: translating OpenAI chat-completion requests into
// `provider_request` signals and answers back into OpenAI's shapes (`ChatCompletionRequest`,
// `ChatCompletionRenderer`, pure), its errors (`GatewayError`, one mapping from provider errors to
// HTTP statuses), its keys and settings (`GatewayConfiguration`), the models list from the live
// provider registry (`ModelCatalog`), and the shell: Hummingbird routes over a `ProviderClient`
// (`Gateway`). Imports Signals, Router (the registry), ProviderClient, WorkerRuntime (the status
// follower), Kafka, Common and Topics; nothing imports it but the command line.
