// The client library for workers and batch jobs: the `ProviderClient` module.
//
// It owns `ProviderClient`: send requests with a
// reply topic, await each final answer by request id (deduplicated, with timeouts and streams).
