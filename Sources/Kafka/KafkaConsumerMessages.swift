/// The messages of a ``KafkaConsumer``, fetched in batches from its dedicated polling queue.
///
/// Ends when the consumer is closed or the reading task is cancelled; throws when the
/// subscription cannot be served.
public struct KafkaConsumerMessages: AsyncSequence, Sendable {
    public typealias Element = KafkaConsumerMessage

    let consumer: KafkaConsumer

    public struct AsyncIterator: AsyncIteratorProtocol {
        let consumer: KafkaConsumer
        var buffer: [KafkaConsumerMessage] = []
        var index = 0

        public mutating func next() async throws(KafkaError) -> KafkaConsumerMessage? {
            while index >= buffer.count {
                if Task.isCancelled { return nil }
                guard let batch = try await consumer.pollBatch() else { return nil }
                buffer = batch
                index = 0
            }
            defer { index += 1 }
            return buffer[index]
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(consumer: consumer) }
}
