internal import CRdKafka

/// Owns a reference to a client's consumer queue (released before the client it keeps alive).
final class RdKafkaQueue: @unchecked Sendable {
    // Sendable: librdkafka queues are thread-safe; the pointer never changes.
    private let pointer: OpaquePointer
    private let client: RdKafkaClient

    init(consumerOf client: RdKafkaClient) {
        self.client = client
        self.pointer = rd_kafka_queue_get_consumer(client.pointer)
    }

    deinit { rd_kafka_queue_destroy(pointer) }

    /// Wakes a thread blocked polling this queue.
    func wake() { rd_kafka_queue_yield(pointer) }
}
