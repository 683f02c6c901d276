import Kafka
import KafkaTestSupport
import Signals
import Synchronization

/// Every answer to the benchmark's requests (``RequestLoad`` keys) with the moment it was read,
/// from the start of the answer topics (explicit assignment, no group join; offsets the broker
/// skipped are read again, ``GaplessMessages``). Unlike
/// ``AnswerCollector`` it does not fail on an error: the rebalance scenario counts errors and
/// duplicate answers and reports them, and measures gaps and latencies on the timeline.
final class AnswerTimeline: Sendable {
    struct Entry: Sendable {
        /// The request's index (``RequestLoad/index(ofKey:)``).
        var index: Int
        /// When this process read the answer.
        var at: ContinuousClock.Instant
        /// `nil` for a `provider_response`, else what it was (`provider_error` type, `dead letter`).
        var failure: String?
    }

    private let consumer: KafkaConsumer
    private let entries = Mutex<[Entry]>([])
    /// Offset gaps the broker served while the answers were read (filled by reading again).
    let gaps = GapTally()
    private let task = Mutex<Task<Void, Never>?>(nil)

    /// Starts reading `responseTopic` and the failure topics (each with `partitions` partitions) at once.
    init(context: BenchmarkContext, responseTopic: String, errorTopic: String, deadLetterTopic: String, partitions: Int)
        throws
    {
        consumer = try context.makeReader(group: uniqueName("bench-timeline"))
        var assignment: [TopicPartition: Int64?] = [:]
        for topic in [responseTopic, errorTopic, deadLetterTopic] {
            for partition in 0..<partitions {
                assignment[TopicPartition(topic: topic, partition: Int32(partition))] = 0
            }
        }
        try consumer.assign(assignment)
        let reading = Task { [consumer] in
            let decoder = SignalDecoder()
            do {
                for try await message in GaplessMessages(
                    consumer: consumer, partitions: Set(assignment.keys), tally: self.gaps)
                {
                    let now = ContinuousClock.now
                    guard let index = RequestLoad.index(ofKey: message.key) else { continue }
                    var failure: String?
                    if message.topic == deadLetterTopic {
                        failure = "dead letter"
                    } else if message.topic == errorTopic {
                        if case .providerError(let error)? = try? decoder.decode(message.value).signal {
                            failure = error.errorType.rawValue
                        } else {
                            failure = "undecodable error"
                        }
                    }
                    self.entries.withLock { $0.append(Entry(index: index, at: now, failure: failure)) }
                }
            } catch {}
        }
        task.withLock { $0 = reading }
    }

    /// Everything read so far, in reading order.
    var snapshot: [Entry] { entries.withLock { $0 } }

    /// Waits until every request in `range` has an answer.
    func waitForAnswers(_ range: Range<Int>, timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            var seen = Set<Int>()
            for entry in snapshot where range.contains(entry.index) { seen.insert(entry.index) }
            if seen.count == range.count { return }
            guard ContinuousClock.now < deadline else {
                throw BenchmarkFailure("\(range.count - seen.count) of \(range.count) answers missing after \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    func close(_ context: BenchmarkContext) async {
        task.withLock { $0?.cancel() }
        try? await context.close(consumer)
    }
}
