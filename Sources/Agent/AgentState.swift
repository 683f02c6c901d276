import AgentCore
import Dispatch
import Foundation
import Kafka
import Signals
import Synchronization

/// The agent's mutable state, behind one lock: admission (limiter, breaker, concurrency), metrics,
/// the in-flight table, offsets, ledger indexes, flow control, ownership.
final class AgentState: Sendable {
    /// The ledger of one owned request partition: being read, or read.
    enum LedgerSlot: Sendable {
        /// `nil` when the load was cancelled (partition revoked meanwhile).
        case loading(Task<LedgerIndex?, Never>)
        case ready(LedgerIndex)
    }

    /// A revocation waiting (on the consumer's polling thread) until the in-flight work of the
    /// revoked partitions is finished.
    struct RevokeWaiter: Sendable {
        var partitions: Set<TopicPartition>
        var semaphore: DispatchSemaphore
    }

    struct Value: Sendable {
        var admission: AdmissionController
        var metrics: ProviderMetrics
        var tracker = RequestTracker()
        var offsets = KafkaOffsetTracker()
        /// Messages consumed and not yet finished (answered, or given up at shutdown).
        var inFlight = 0
        var inFlightByPartition: [TopicPartition: Int] = [:]
        /// The reader, waiting for an in-flight slot (at most one waiter: the reading task).
        var slotWaiter: CheckedContinuation<Void, Never>?
        /// Shutting down: nothing more is taken from the consumer.
        var stopping = false
        /// Partitions of the request topic this instance owns, and how many the topic has: the
        /// instance enforces that share of the provider-wide rate limits.
        var owned = Set<TopicPartition>()
        var topicPartitions: Int?
        /// Owned partitions whose ledger is not being read yet: the read starts at the first
        /// message fetched after the assignment (its offset bounds what must be read).
        var ledgerPending = Set<Int32>()
        var ledger: [Int32: LedgerSlot] = [:]
        /// Counts the assignments of each request partition: a message belongs to the assignment
        /// it was fetched in, and loses its claim when the partition is revoked, even if the
        /// partition comes back.
        var generation: [Int32: Int] = [:]
        var revokeWaiter: RevokeWaiter?
        /// Control signals applied so far.
        var configVersion = 0
        /// `configure_functions`: tools for requests that bring none.
        var functions: ConfigureFunctions?
        /// `configure_safety`: checks and changes applied to every request and answer.
        var safety: SafetyPolicy?

        mutating func updateShare() {
            guard let topicPartitions, topicPartitions > 0 else { return }
            admission.setShare(Double(owned.count) / Double(topicPartitions))
        }

        /// Wakes a waiting revocation once none of its partitions has work in flight.
        mutating func signalRevokeWaiterIfDone() {
            guard let waiter = revokeWaiter,
                  waiter.partitions.allSatisfy({ (inFlightByPartition[$0] ?? 0) == 0 }) else { return }
            revokeWaiter = nil
            waiter.semaphore.signal()
        }
    }

    private let value: Mutex<Value>
    let startedAt = Date()

    init(_ value: Value) {
        self.value = Mutex(value)
    }

    func withLock<Result: Sendable>(_ body: (inout sending Value) throws -> sending Result) rethrows -> sending Result {
        try value.withLock(body)
    }
}
