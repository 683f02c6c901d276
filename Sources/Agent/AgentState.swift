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

    struct Value: Sendable {
        var admission: AdmissionController
        var metrics: ProviderMetrics
        var tracker = RequestTracker()
        /// The request messages taken into work: in-flight bound, the partitions owned and the
        /// assignment each message belongs to, the offsets to store.
        var window: KafkaInFlightWindow
        /// How many partitions the request topic has: the instance enforces the share of the
        /// provider-wide rate limits its owned partitions make.
        var topicPartitions: Int?
        /// Owned partitions whose ledger is not being read yet: the read starts at the first
        /// message fetched after the assignment (its offset bounds what must be read).
        var ledgerPending = Set<Int32>()
        var ledger: [Int32: LedgerSlot] = [:]
        /// Control signals applied so far.
        var configVersion = 0
        /// `configure_functions`: tools for requests that bring none.
        var functions: ConfigureFunctions?
        /// `configure_safety`: checks and changes applied to every request and answer.
        var safety: SafetyPolicy?

        mutating func updateShare() {
            guard let topicPartitions, topicPartitions > 0 else { return }
            admission.setShare(Double(window.owned.count) / Double(topicPartitions))
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
