public import Kafka

/// What makes a worker an agent, a router, a gateway: a handler plus a ``WorkerConfiguration``.
/// The runtime (``KafkaWorker``) owns the loop — fetching, the in-flight bound, offsets,
/// rebalances, publishing with retries, dead letters, the journal, delays, the lifecycle — and
/// calls the handler for what is its own.
public protocol WorkerHandler: Sendable {
    /// Runs before the worker joins its group: check topics, read what must be known before the
    /// first message (a control topic, a registry). Throwing fails the start with that error.
    func prepare(_ worker: WorkerContext) async throws

    /// Handles one message taken into flight. Synchronous and short: decode, decide, hand
    /// outputs to the worker, submit async work (a provider call) with ``WorkerIO/submit(_:)``.
    /// Every message ends exactly once, now or later, through the worker:
    /// ``WorkerIO/publish(_:for:fallback:)``, ``WorkerIO/record(_:outputs:for:fallback:)``,
    /// ``WorkerIO/finish(_:)``, ``WorkerIO/abandon(_:)``, ``WorkerIO/deadLetter(_:code:reason:)``.
    /// `worker` is the ``WorkerContext`` over Kafka, or an ``InProcessWorker`` in tests.
    func handle(_ message: WorkerMessage, _ worker: any WorkerIO)

    /// An assignment change, on the consumer's polling thread: before the first message of
    /// assigned partitions, after the last of revoked ones (whose in-flight messages have
    /// finished or the drain timeout passed). Keep it short.
    func assignmentChanged(_ event: KafkaRebalanceEvent, _ worker: any WorkerIO)

    /// Long-running companions (a status publisher, a topic follower): run as child tasks of the
    /// worker's task group from the start until the worker stops, then cancelled.
    func companions(_ worker: WorkerContext) -> [@Sendable () async -> Void]

    /// After the last message finished or was abandoned, before the producer closes: last words
    /// (a final status).
    func stopped(_ worker: WorkerContext) async
}

extension WorkerHandler {
    public func prepare(_ worker: WorkerContext) async throws {}
    public func assignmentChanged(_ event: KafkaRebalanceEvent, _ worker: any WorkerIO) {}
    public func companions(_ worker: WorkerContext) -> [@Sendable () async -> Void] { [] }
    public func stopped(_ worker: WorkerContext) async {}
}
