import Common
public import Kafka
public import Logging
import Synchronization

/// A topic every instance reads whole, outside any consumer group: read from its beginning to its
/// end before the worker starts (``readToEnd(timeout:_:)``, in the handler's `prepare`), then
/// followed from exactly there until cancelled (``follow(_:)``, a companion), so nothing written
/// in between is missed. Agents follow their control topic this way, routers the status topic.
public final class TopicFollower: Sendable {
    public let topic: String
    private let configuration: KafkaConsumerConfiguration
    private let connectTimeout: Duration
    private let logger: Logger
    /// The reader ``readToEnd(timeout:_:)`` opened, handed to ``follow(_:)``.
    private let reader = Mutex<KafkaConsumer?>(nil)

    public init(topic: String, configuration: KafkaConsumerConfiguration, connectTimeout: Duration, logger: Logger) {
        self.topic = topic
        self.configuration = configuration
        self.connectTimeout = connectTimeout
        self.logger = logger
    }

    /// Hands every message of every partition to `body`, oldest first per partition, until the
    /// ends the partitions had when the call started. The topic must exist.
    ///
    /// - Throws: the broker's error (a missing topic names it), or a timeout.
    public func readToEnd(
        timeout: Duration, _ body: (KafkaConsumerMessage) throws(KafkaError) -> Void
    ) async throws(KafkaError) {
        let consumer = try KafkaConsumer(configuration: configuration, logger: logger)
        do {
            let partitions = try await consumer.metadata(timeout: connectTimeout).partitionCount(of: topic)
            let all = Set((0..<partitions).map { TopicPartition(topic: topic, partition: Int32($0)) })
            try await consumer.readToEnd(all, timeout: timeout, body)
        } catch {
            try? await consumer.close()
            throw error
        }
        let previous = reader.withLock { reader in
            defer { reader = consumer }
            return reader
        }
        try? await previous?.close()
    }

    /// Hands every message written after what ``readToEnd(timeout:_:)`` read to `body`, until the
    /// task is cancelled; then closes the reader. A reader that fails ends the following with an
    /// error in the log.
    public func follow(_ body: (KafkaConsumerMessage) -> Void) async {
        guard let consumer = reader.withLock({ $0 }) else {
            logger.error("topic not followed: it was not read first", metadata: [LogKey.topic: "\(topic)"])
            return
        }
        await withTaskCancellationHandler {
            do {
                for try await message in consumer.messages {
                    body(message)
                }
            } catch {
                logger.error(
                    "topic no longer followed", metadata: [LogKey.topic: "\(topic)", LogKey.error: "\(error)"])
            }
        } onCancel: {
            consumer.wake()
        }
        reader.withLock { $0 = nil }
        try? await consumer.close()
    }
}
