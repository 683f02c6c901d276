import Kafka
import Synchronization

/// Book-keeping of the pass-through scenario: which reply (by ``KafkaMessageID``) answers which
/// consumed message, and per partition the offset that may be stored once every earlier reply
/// was acknowledged (at-least-once: nothing is stored before its reply is safely written).
final class PassThroughLedger: Sendable {
    private struct InFlight {
        var partition: TopicPartition
        var offset: Int64
        var consumedAt: ContinuousClock.Instant
    }

    private struct State {
        var inFlight: [KafkaMessageID: InFlight] = [:]
        /// Reports that arrived before the consuming task registered their id.
        var early: [KafkaMessageID: (Result<KafkaDeliveryReceipt, KafkaError>, ContinuousClock.Instant)] = [:]
        var offsets = KafkaOffsetTracker()
        var lastConsumed: [TopicPartition: Int64] = [:]
        var stored: [TopicPartition: Int64] = [:]
        var latency = LatencyRecorder()
        var failedReplies = 0
        var failedStores = 0
        var firstError: KafkaError?
    }

    private let consumer: KafkaConsumer
    private let state = Mutex(State())

    init(consumer: KafkaConsumer) {
        self.consumer = consumer
    }

    /// The consuming task produced a reply to `message` under `id`.
    func replied(to message: KafkaConsumerMessage, id: KafkaMessageID, consumedAt: ContinuousClock.Instant) {
        state.withLock { state in
            let entry = InFlight(partition: message.topicPartition, offset: message.offset, consumedAt: consumedAt)
            state.offsets.consumed(entry.partition, offset: entry.offset)
            state.lastConsumed[entry.partition] = entry.offset
            if let (result, at) = state.early.removeValue(forKey: id) {
                finish(entry, result, at: at, &state)
            } else {
                state.inFlight[id] = entry
            }
        }
    }

    /// A reply's delivery report arrived.
    func reported(_ report: KafkaDeliveryReport, at: ContinuousClock.Instant) {
        state.withLock { state in
            if let entry = state.inFlight.removeValue(forKey: report.id) {
                finish(entry, report.result, at: at, &state)
            } else {
                state.early[report.id] = (report.result, at)
            }
        }
    }

    /// Runs under the lock, so stored offsets only ever move forward.
    private func finish(
        _ entry: InFlight, _ result: Result<KafkaDeliveryReceipt, KafkaError>, at: ContinuousClock.Instant,
        _ state: inout State
    ) {
        switch result {
        case .success:
            state.latency.record(at - entry.consumedAt)
            guard let next = state.offsets.completed(entry.partition, offset: entry.offset) else { return }
            do {
                try consumer.storeOffsets([entry.partition: next])
                state.stored[entry.partition] = next
            } catch {
                state.failedStores += 1
                if state.firstError == nil { state.firstError = error }
            }
        case .failure(let error):
            // Not stored: the partition's stored offset stays below it, so it would be redelivered.
            state.failedReplies += 1
            if state.firstError == nil { state.firstError = error }
        }
    }

    var latency: LatencySummary? { state.withLock { $0.latency.summary } }
    var failedReplies: Int { state.withLock { $0.failedReplies } }
    var failedStores: Int { state.withLock { $0.failedStores } }
    var firstError: KafkaError? { state.withLock { $0.firstError } }
    /// Per partition, the offset after the last message consumed.
    var consumedThrough: [TopicPartition: Int64] { state.withLock { $0.lastConsumed.mapValues { $0 + 1 } } }
    /// Per partition, the last offset stored.
    var stored: [TopicPartition: Int64] { state.withLock { $0.stored } }
}
