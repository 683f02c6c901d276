// The one runtime of every Kafka worker: the `WorkerRuntime` module.
//
// It owns `KafkaWorker` (consume → handle → publish with one task group: the in-flight window,
// offsets, rebalances, the handler's jobs, drain), publishing with retries and fallbacks, dead
// letters, waits (in memory or through a delay topic), the journal that makes a redelivered
// message repeat what was done, topic followers, and `InProcessWorker`, the same handler contract
// in memory for tests (docs/worker-runtime.md).
