import Dispatch
import Kafka
import Router
import Synchronization

/// The router's mutable state, behind one lock: the provider registry, in-flight messages and
/// their offsets, flow control, ownership, retries waiting out a backoff.
final class RouterState: Sendable {
    /// A revocation waiting (on the consumer's polling thread) until the revoked partitions'
    /// in-flight forwards are published and their offsets stored.
    struct RevokeWaiter: Sendable {
        var partitions: Set<TopicPartition>
        var semaphore: DispatchSemaphore
    }

    struct Value: Sendable {
        var registry: ProviderRegistry
        var offsets = KafkaOffsetTracker()
        var inFlight = 0
        var inFlightByPartition: [TopicPartition: Int] = [:]
        /// The reader, waiting for an in-flight slot.
        var slotWaiter: CheckedContinuation<Void, Never>?
        var stopping = false
        var owned = Set<TopicPartition>()
        /// Assignments per partition: a message loses its claim when its partition is revoked.
        var generation: [TopicPartition: Int] = [:]
        var revokeWaiter: RevokeWaiter?
        /// Backoff waits, by partition and offset: cancelled when the partition is revoked or the
        /// router stops (the retry is then continued by the partition's next owner).
        var waits: [TopicPartition: [Int64: Task<Void, Never>]] = [:]
        /// Counters for the log and the all-in-one summary.
        var counters = RouterCounters()

        mutating func signalRevokeWaiterIfDone() {
            guard let waiter = revokeWaiter,
                  waiter.partitions.allSatisfy({ (inFlightByPartition[$0] ?? 0) == 0 }) else { return }
            revokeWaiter = nil
            waiter.semaphore.signal()
        }

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
