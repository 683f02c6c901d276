public import Kafka

/// Where a message is on its way through a worker: what a ``WorkerObserver`` hears. The stages
/// the runtime reports are `fetched` and `finished`; handlers report the ones in between that
/// they have (an agent: `admitted`, `called`, `answered`).
public enum WorkerStage: String, Sendable, Hashable, CaseIterable {
    /// The reader took the message into flight.
    case fetched
    /// Admission let the request through (and its `started` record is written).
    case admitted
    /// The provider call began.
    case called
    /// The provider call returned; the answer is being recorded and published.
    case answered
    /// Every output was acknowledged: the message's offset may be stored.
    case finished
}

/// Hears where each message is, with the time: for benchmarks (where does a request wait?),
/// metrics and traces. Called on the worker's threads, inline: keep it cheap. The message's key
/// identifies it (a request id, for requests).
public protocol WorkerObserver: Sendable {
    func observe(_ stage: WorkerStage, key: [UInt8]?, at instant: ContinuousClock.Instant)
    /// Partitions were assigned to the worker (before any of their messages is handed out).
    func assigned(_ partitions: Set<TopicPartition>, at instant: ContinuousClock.Instant)
}

extension WorkerObserver {
    /// Partitions were assigned to the worker (before any of their messages is handed out).
    public func assigned(_ partitions: Set<TopicPartition>, at instant: ContinuousClock.Instant) {}
}
