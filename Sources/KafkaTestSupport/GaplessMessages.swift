public import Kafka

/// The messages of a manually assigned consumer (`assign`, no group), in offset order per
/// partition and without gaps the broker should not leave: when a partition's next message is
/// further on than the one expected, the consumer is assigned again from the expected offsets and
/// the messages after the gap are dropped until the missing ones arrive.
///
/// Why: Tansu 0.6.0 (memory storage) served fetches that skipped a batch while several producers
/// appended to the same partition — seen with four agent processes answering into the same
/// partitions: a reader tailing the topic got offset 433, then 436; 434–435 (one batch of one
/// producer, created after 436's) were on the topic when read again later, but a consumer that
/// has moved past them never sees them. A broker must not expose an offset before the ones below
/// it are readable (Kafka's high watermark), so the fault is the broker's; with one producer per
/// partition it was not seen.
///
/// A gap still there after `patience` (a compacted topic, aborted transactions) is accepted.
/// Partitions not read yet start where the consumer's `auto.offset.reset` says (a fresh group:
/// the committed offset is none).
public struct GaplessMessages: AsyncSequence, Sendable {
    public typealias Element = KafkaConsumerMessage

    let consumer: KafkaConsumer
    let partitions: Set<TopicPartition>
    let patience: Duration
    let tally: GapTally?

    /// - Parameters:
    ///   - partitions: exactly what `consumer` is assigned.
    ///   - tally: counts the gaps met, if given.
    public init(
        consumer: KafkaConsumer, partitions: Set<TopicPartition>, patience: Duration = .seconds(3),
        tally: GapTally? = nil
    ) {
        self.consumer = consumer
        self.partitions = partitions
        self.patience = patience
        self.tally = tally
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(
            inner: consumer.messages.makeAsyncIterator(), consumer: consumer,
            filter: OffsetGapFilter(partitions: partitions, patience: patience), tally: tally)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var inner: KafkaConsumerMessages.AsyncIterator
        let consumer: KafkaConsumer
        var filter: OffsetGapFilter
        let tally: GapTally?

        public mutating func next() async throws(KafkaError) -> KafkaConsumerMessage? {
            while let message = try await inner.next() {
                let before = (filter.filled, filter.accepted)
                let decision = filter.admit(message.topicPartition, offset: message.offset, at: .now)
                if filter.filled > before.0 { tally?.recordFilled() }
                if filter.accepted > before.1 { tally?.recordAccepted() }
                switch decision {
                case .deliver: return message
                case .skip: continue
                case .readAgain(let offsets): try consumer.assign(offsets)
                }
            }
            return nil
        }
    }
}
