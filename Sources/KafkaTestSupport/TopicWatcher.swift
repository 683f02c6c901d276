public import Kafka
import Logging
import Synchronization

/// Reads whole topics from their beginning in the background (manual assignment, no group, so
/// it starts at once) and keeps every message, for tests that wait for what a system under test
/// publishes. Offsets the broker skipped while producers were still appending are read again
/// (``GaplessMessages``).
public final class TopicWatcher: Sendable {
    private let consumer: KafkaConsumer
    private let seen = Mutex<[KafkaConsumerMessage]>([])
    private let reader = Mutex<Task<Void, Never>?>(nil)

    public init(bootstrapServers: String, topics: [String]) async throws {
        var configuration = KafkaConsumerConfiguration(
            bootstrapServers: bootstrapServers, groupID: uniqueName("watcher"))
        configuration.fetchMaxWait = .milliseconds(20)
        var logger = Logger(label: "topic-watcher")
        logger.logLevel = .warning
        consumer = try KafkaConsumer(configuration: configuration, logger: logger)
        let metadata = try await consumer.metadata()
        var partitions = Set<TopicPartition>()
        for topic in topics {
            for partition in 0..<(try metadata.partitionCount(of: topic)) {
                partitions.insert(TopicPartition(topic: topic, partition: Int32(partition)))
            }
        }
        try consumer.assign(partitions, from: .beginning)
        let task = Task { [consumer] in
            do {
                for try await message in GaplessMessages(consumer: consumer, partitions: partitions) {
                    self.seen.withLock { $0.append(message) }
                }
            } catch {}
        }
        reader.withLock { $0 = task }
    }

    /// Everything read so far, in arrival order.
    public var messages: [KafkaConsumerMessage] { seen.withLock { $0 } }

    /// Waits until `condition` holds for the messages read so far and returns them.
    @discardableResult
    public func wait(
        until what: String, timeout: Duration = .seconds(60),
        _ condition: @escaping @Sendable ([KafkaConsumerMessage]) -> Bool
    ) async throws -> [KafkaConsumerMessage] {
        try await waitUntil(what, timeout: timeout) { condition(self.messages) }
        return messages
    }

    public func close() async {
        try? await consumer.close()
        let task = reader.withLock { $0 }
        await task?.value
    }
}
