import AgentCore
import Foundation
import Synchronization

/// The agent's mutable state behind one lock: the request rules (``RequestPipeline``: admission,
/// metrics, in-flight table, standing settings) and how much of the provider this instance
/// serves. Everything Kafka-side (in-flight window, offsets, ledger) is the worker runtime's.
final class AgentState: Sendable {
    struct Value: Sendable {
        var pipeline: RequestPipeline
        /// How many partitions the request topic has: the instance enforces the share of the
        /// provider-wide rate limits its owned partitions make.
        var topicPartitions: Int?
        /// Request partitions owned now.
        var owned = Set<Int32>()
        /// Answers published again from the ledger, and calls repeated after a previous owner
        /// stopped mid-call (`started` without `done`).
        var ledgerRepeats = 0
        var providerRecalls = 0
        /// Copies of a request that waited for the same request in flight here.
        var waitedForCopy = 0
        /// Stream runs started (part of every run id).
        var streamRuns = 0

        mutating func updateShare() {
            guard let topicPartitions, topicPartitions > 0 else { return }
            pipeline.admission.setShare(Double(owned.count) / Double(topicPartitions))
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
