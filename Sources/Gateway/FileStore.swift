import Batch
import Common
import Foundation
import Kafka
import Logging
import Synchronization
import Topics
import WorkerRuntime

/// Files on Kafka: bytes in chunks on `llm.batch.chunks` (keyed by file id, so one partition holds
/// a file), then the file's description on `llm.batch.files` (compacted). Every gateway follows
/// `llm.batch.files` whole, so a file stored at one instance is listed and read at any other.
final class FileStore: Sendable {
    private let topics: TopicNames
    private let producer: KafkaProducer
    private let follower: TopicFollower
    private let readerConfiguration: KafkaConsumerConfiguration
    private let logger: Logger
    private let files = Mutex<[String: BatchFile]>([:])

    init(
        topics: TopicNames, producer: KafkaProducer, follower: TopicFollower,
        readerConfiguration: KafkaConsumerConfiguration, logger: Logger
    ) {
        self.topics = topics
        self.producer = producer
        self.follower = follower
        self.readerConfiguration = readerConfiguration
        self.logger = logger
    }

    /// Reads every file description written so far (before serving).
    func load(timeout: Duration) async throws(KafkaError) {
        try await follower.readToEnd(timeout: timeout) { message in self.learn(message) }
    }

    /// Follows the descriptions written from now on, until cancelled.
    func follow() async {
        await follower.follow { message in self.learn(message) }
    }

    private func learn(_ message: KafkaConsumerMessage) {
        guard let file = BatchFile.decode(Data(message.value)) else { return }
        files.withLock { $0[file.id] = file }
    }

    /// The file `id`, as far as this instance knows.
    func file(_ id: String) -> BatchFile? { files.withLock { $0[id] } }

    /// Every known file, newest first.
    var all: [BatchFile] {
        files.withLock { Array($0.values) }.sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }
    }

    /// Stores `bytes`: every chunk acknowledged, then the description; returns it.
    func store(_ bytes: Data, filename: String, purpose: String, owner: String?) async throws(KafkaError) -> BatchFile {
        let id = "file-\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))"
        let key = Array(id.utf8)
        var partition: Int32?
        var first: Int64?
        var last: Int64 = -1
        let chunks = BatchFile.chunks(of: bytes)
        for chunk in chunks {
            let receipt = try await producer.send(
                KafkaProducerMessage(topic: topics.batchChunks, key: key, value: Array(chunk)))
            partition = partition ?? receipt.partition
            first = first ?? receipt.offset
            last = receipt.offset
        }
        let file = BatchFile(
            id: id, bytes: bytes.count, createdAt: Int(Date().timeIntervalSince1970), filename: filename,
            purpose: purpose, partition: partition ?? 0, firstOffset: first ?? 0, lastOffset: last,
            chunks: chunks.count, owner: owner)
        try await producer.send(KafkaProducerMessage(topic: topics.batchFiles, key: key, value: Array(file.record)))
        files.withLock { $0[id] = file }
        logger.info(
            "file stored",
            metadata: [LogKey.file: "\(id)", LogKey.bytes: "\(bytes.count)", LogKey.topic: "\(topics.batchChunks)"])
        return file
    }

    /// The bytes of `file`, read back from its chunks.
    func content(of file: BatchFile, timeout: Duration = .seconds(60)) async throws(KafkaError) -> Data {
        let consumer = try KafkaConsumer(configuration: readerConfiguration, logger: logger)
        let partition = TopicPartition(topic: topics.batchChunks, partition: file.partition)
        let key = Array(file.id.utf8)
        var data = Data(capacity: file.bytes)
        var found = 0
        do throws(KafkaError) {
            try consumer.assign([partition: file.firstOffset])
            let deadline = ContinuousClock.now + timeout
            reading: while found < file.chunks {
                guard ContinuousClock.now < deadline else {
                    throw KafkaError(
                        code: .timedOut,
                        message: "reading file \(file.id): \(found) of \(file.chunks) chunks within \(timeout)")
                }
                guard let batch = try await consumer.pollBatch() else { break }
                for message in batch where message.topicPartition == partition {
                    guard message.offset <= file.lastOffset else { break reading }
                    guard message.offset >= file.firstOffset, message.key == key else { continue }
                    data.append(contentsOf: message.value)
                    found += 1
                }
            }
        } catch {
            try? await consumer.close()
            throw error
        }
        try? await consumer.close()
        guard found == file.chunks, data.count == file.bytes else {
            throw KafkaError(
                code: .invalidArgument,
                message:
                    "file \(file.id): \(found) of \(file.chunks) chunks found (\(data.count) of \(file.bytes) bytes)")
        }
        return data
    }
}
