import Kafka
import KafkaTestSupport
import Logging

/// What every scenario needs: where the broker is, how to configure clients, and its limits.
struct BenchmarkContext: Sendable {
    var bootstrapServers: String
    var logger: Logger
    /// Partitions of every topic the benchmark creates.
    var partitions: Int
    /// Upper bound for each phase (produce, consume, ...); exceeded → the run fails with a clear error.
    var phaseTimeout: Duration
    /// Upper bound for closing a client.
    var closeTimeout: Duration = .seconds(15)
    /// Overrides the producer's `linger.ms` (the project default is 1 ms).
    var linger: Duration?
    /// The latency profile of the agents the agent and adapter suites run.
    var agentProfile: LatencyProfile = .efficient

    func producerConfiguration() -> KafkaProducerConfiguration {
        var configuration = KafkaProducerConfiguration(bootstrapServers: bootstrapServers)
        configuration.common.clientID = "kafka-bench"
        if let linger { configuration.linger = linger }
        return configuration
    }

    /// A fresh consumer group; `session.timeout.ms` 6 s keeps Tansu's first join at ~3 s.
    func consumerConfiguration(group: String) -> KafkaConsumerConfiguration {
        var configuration = KafkaConsumerConfiguration(bootstrapServers: bootstrapServers, groupID: group)
        configuration.common.clientID = "kafka-bench"
        configuration.sessionTimeout = .seconds(6)
        return configuration
    }

    func makeProducer() throws -> KafkaProducer {
        try KafkaProducer(configuration: producerConfiguration(), logger: logger)
    }

    func makeConsumer(group: String) throws -> KafkaConsumer {
        try KafkaConsumer(configuration: consumerConfiguration(group: group), logger: logger)
    }

    /// A consumer that only watches (answers, status) in a process whose memory is measured: its
    /// prefetch queue is bounded at 2 MB instead of librdkafka's 64 MB, so a reader that falls
    /// behind does not pass its buffer off as the measured system's memory.
    func makeReader(group: String) throws -> KafkaConsumer {
        var configuration = consumerConfiguration(group: group)
        configuration.common.properties["queued.max.messages.kbytes"] = "2048"
        return try KafkaConsumer(configuration: configuration, logger: logger)
    }

    /// Creates fresh, uniquely named topics (`bench-<role>-<size>-<random>`) with ``partitions`` each.
    func createTopics(_ roles: [String], size: Int) async throws -> [String] {
        let names = roles.map { uniqueName("bench-\($0)-\(size)") }
        try await createTopics(names.map { KafkaTopicSpec(name: $0, partitions: partitions) })
        return names
    }

    /// Creates these topics (partitions and configs as given).
    func createTopics(_ specs: [KafkaTopicSpec]) async throws {
        let admin = try KafkaAdmin(
            configuration: KafkaConfiguration(bootstrapServers: bootstrapServers), logger: logger)
        _ = try await withDeadline(phaseTimeout, "create topics \(specs.map(\.name))") {
            try await admin.createTopics(specs, timeout: .seconds(30))
        }
    }

    /// Closes a producer within ``closeTimeout``.
    func close(_ producer: KafkaProducer) async throws {
        try await withDeadline(closeTimeout, "close producer") { await producer.close(timeout: .seconds(10)) }
    }

    /// Closes a consumer (leaves its group) within ``closeTimeout``.
    func close(_ consumer: KafkaConsumer) async throws {
        try await withDeadline(closeTimeout, "close consumer") { try await consumer.close() }
    }

    /// Opens the producer's broker connection and fetches metadata, so timings exclude connection setup.
    func warmUp(_ producer: KafkaProducer) async throws {
        _ = try await withDeadline(phaseTimeout, "connect producer to \(bootstrapServers)") {
            try await producer.metadata(timeout: .seconds(10))
        }
    }
}
