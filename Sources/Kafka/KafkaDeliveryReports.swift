import Common

/// The delivery reports of messages produced with ``KafkaProducer/enqueue(_:)``, in the order
/// librdkafka reports them.
///
/// Read it from one long-lived task. Reports wait in a ``BatchQueue`` (not an `AsyncStream`,
/// whose cost per report grows with the backlog): an iterator takes every waiting report at
/// once and hands them out one by one. Cancelling the reading task ends the sequence, and later
/// reports are dropped. It ends when the producer is gone.
public struct KafkaDeliveryReports: AsyncSequence, Sendable {
    public typealias Element = KafkaDeliveryReport

    let queue: BatchQueue<KafkaDeliveryReport>

    public struct AsyncIterator: AsyncIteratorProtocol {
        let queue: BatchQueue<KafkaDeliveryReport>
        var buffer: [KafkaDeliveryReport] = []
        var index = 0

        public mutating func next() async -> KafkaDeliveryReport? {
            if index >= buffer.count {
                buffer = await queue.next()
                index = 0
                if buffer.isEmpty { return nil }
            }
            defer { index += 1 }
            return buffer[index]
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(queue: queue) }
}
