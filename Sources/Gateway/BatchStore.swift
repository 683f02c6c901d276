import Batch
import Common
import Foundation
import Kafka
import Logging
import Synchronization
import Topics
import WorkerRuntime

/// Batch jobs on Kafka: their states on `llm.batch.jobs` (followed whole, so every gateway answers
/// for every job), the work for the runners on `llm.batch.work`, and every line's outcome on
/// `llm.batch.results` (all of one batch in the partition its id picks).
final class BatchStore: Sendable {
    private let topics: TopicNames
    private let producer: KafkaProducer
    private let follower: TopicFollower
    private let readerConfiguration: KafkaConsumerConfiguration
    private let logger: Logger
    private let jobs = Mutex<[String: BatchJob]>([:])
    private let resultPartitions = Mutex<Int32?>(nil)

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

    func load(timeout: Duration) async throws(KafkaError) {
        try await follower.readToEnd(timeout: timeout) { message in self.learn(message) }
    }

    func follow() async {
        await follower.follow { message in self.learn(message) }
    }

    private func learn(_ message: KafkaConsumerMessage) {
        guard let job = BatchJob.decode(Data(message.value)) else { return }
        jobs.withLock { $0[job.id] = job }
    }

    func job(_ id: String) -> BatchJob? { jobs.withLock { $0[id] } }

    /// Every known job, newest first.
    var all: [BatchJob] { jobs.withLock { Array($0.values) }.sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) } }

    /// Writes `job`'s state (acknowledged).
    func save(_ job: BatchJob) async throws(KafkaError) {
        try await producer.send(
            KafkaProducerMessage(topic: topics.batchJobs, key: Array(job.id.utf8), value: Array(job.json)))
        jobs.withLock { $0[job.id] = job }
    }

    /// Hands `work` to the runners (acknowledged).
    func submit(_ work: BatchWork) async throws(KafkaError) {
        try await producer.send(
            KafkaProducerMessage(topic: topics.batchWork, key: Array(work.batchID.utf8), value: Array(work.encoded)))
    }

    // MARK: Results

    /// Records one line's outcome (acknowledged).
    func record(_ result: BatchResult, batch: String) async throws(KafkaError) {
        let partition = try await partition(of: batch)
        try await producer.send(
            KafkaProducerMessage(
                topic: topics.batchResults, partition: partition,
                key: Array(BatchResult.key(batch: batch, customID: result.customID).utf8), value: Array(result.record)))
    }

    /// Every outcome recorded for `batch` so far, by `custom_id`.
    func results(of batch: String, timeout: Duration = .seconds(60)) async throws(KafkaError) -> [String: BatchResult] {
        let partition = TopicPartition(topic: topics.batchResults, partition: try await partition(of: batch))
        let prefix = Array("\(batch)/".utf8)
        let consumer = try KafkaConsumer(configuration: readerConfiguration, logger: logger)
        var found: [String: BatchResult] = [:]
        do throws(KafkaError) {
            try await consumer.readToEnd([partition], timeout: timeout) { message in
                guard let key = message.key, key.starts(with: prefix),
                    let result = BatchResult.decode(Data(message.value))
                else { return }
                found[result.customID] = result
            }
        } catch {
            try? await consumer.close()
            throw error
        }
        try? await consumer.close()
        return found
    }

    /// The partition of `llm.batch.results` holding `batch`'s outcomes (FNV-1a of the id).
    private func partition(of batch: String) async throws(KafkaError) -> Int32 {
        let count: Int32
        if let known = resultPartitions.withLock({ $0 }) {
            count = known
        } else {
            let metadata = try await producer.metadata()
            count = Int32(try metadata.partitionCount(of: topics.batchResults))
            resultPartitions.withLock { $0 = count }
        }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in batch.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return Int32(hash % UInt64(count))
    }
}
