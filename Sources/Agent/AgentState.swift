import AgentCore
import Kafka
import Synchronization

/// The agent's mutable state, behind one lock: admission (limiter, breaker, concurrency), metrics,
/// the in-flight table, offsets, and flow control.
final class AgentState: Sendable {
    struct Value: Sendable {
        var admission: AdmissionController
        var metrics: ProviderMetrics
        var tracker = RequestTracker()
        var offsets = KafkaOffsetTracker()
        /// Messages consumed and not yet finished (answered, or given up at shutdown).
        var inFlight = 0
        var paused = false
        /// Partitions of the request topic this instance owns, and how many the topic has: the
        /// instance enforces that share of the provider-wide rate limits.
        var owned = Set<TopicPartition>()
        var topicPartitions: Int?

        mutating func updateShare() {
            guard let topicPartitions, topicPartitions > 0 else { return }
            admission.rateLimiter.setShare(Double(owned.count) / Double(topicPartitions))
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
