import Dispatch
import Kafka
import Router
import Synchronization

/// The router's mutable state, behind one lock: the provider registry, in-flight messages and
/// their offsets, flow control, ownership, retries waiting out a backoff.
final class RouterState: Sendable {
    struct Value: Sendable {
        var registry: ProviderRegistry
        /// The messages taken into work: in-flight bound, the partitions owned and the
        /// assignment each message belongs to, the offsets to store.
        var window: KafkaInFlightWindow
        /// Backoff waits, by partition and offset: cancelled when the partition is revoked or the
        /// router stops (the retry is then continued by the partition's next owner).
        var waits: [TopicPartition: [Int64: Task<Void, Never>]] = [:]
        /// Counters for the log and the all-in-one summary.
        var counters = RouterCounters()

        mutating func cancelWaits(in partitions: Set<TopicPartition>?) {
            for (partition, tasks) in waits where partitions?.contains(partition) ?? true {
                for task in tasks.values { task.cancel() }
            }
        }
    }

    private let value: Mutex<Value>

    init(_ value: Value) {
        self.value = Mutex(value)
    }

    func withLock<Result: Sendable>(_ body: (inout sending Value) throws -> sending Result) rethrows -> sending Result {
        try value.withLock(body)
    }
}

/// What a router did, since it started.
public struct RouterCounters: Sendable, Hashable {
    /// Client requests forwarded to a first provider.
    public var routed = 0
    /// Retryable errors continued at another (or the same) candidate.
    public var rerouted = 0
    /// Final errors the router itself answered (bad input, nothing to route to, attempts used up).
    public var failed = 0
    /// Messages that could not be decoded and had no readable request id (to the dead-letter topic).
    public var deadLettered = 0
    /// Forwards per provider (first and later attempts).
    public var forwardsByProvider: [String: Int] = [:]
    /// Messages fetched before their partition was revoked or assigned again, dropped unhandled
    /// (the partition's owner reads them again).
    public var staleDropped = 0
}
