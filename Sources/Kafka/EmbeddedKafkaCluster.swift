internal import CRdKafka
public import Logging

/// librdkafka's mock cluster, in-process, with real TCP listeners on 127.0.0.1 that other
/// clients and other processes reach through ``bootstrapServers``.
///
/// For the zero-setup default and for fault injection (brokers down and up, round-trip time,
/// request errors). It has no CreateTopics handler: create topics with ``createTopic(_:)``.
/// Its consumers fetch slowly (~1.5k msg/s): never benchmark on it.
public final class EmbeddedKafkaCluster: @unchecked Sendable {
    // Sendable: the mock cluster API is thread-safe; both pointers are immutable.
    private let client: RdKafkaClient
    private let cluster: OpaquePointer
    /// Comma-separated `127.0.0.1:port` list of the mock brokers.
    public let bootstrapServers: String
    public let brokerCount: Int

    public init(brokers: Int = 1, logger: Logger = Logger(label: "kafka.embedded")) throws(KafkaError) {
        guard (1...16).contains(brokers) else {
            throw .invalidArgument("an embedded cluster needs 1 to 16 brokers, got \(brokers)")
        }
        // The handle that owns the cluster never connects to anything itself.
        client = try RdKafkaClient(
            kind: .producer,
            properties: ["bootstrap.servers": "", "log_level": "3"],
            callbacks: RdKafkaCallbacks(logger: logger)
        )
        guard let cluster = rd_kafka_mock_cluster_new(client.pointer, Int32(brokers)) else {
            throw KafkaError(
                code: .other, message: "librdkafka could not start a mock cluster with \(brokers) broker(s)")
        }
        self.cluster = cluster
        self.brokerCount = brokers
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    deinit {
        rd_kafka_mock_cluster_destroy(cluster)
    }

    /// Creates a topic (idempotent for an existing topic with the same partition count).
    /// Topic-level configs are not modelled by the mock cluster and are ignored.
    public func createTopic(_ spec: KafkaTopicSpec) throws(KafkaError) {
        try spec.validate()
        guard spec.replicationFactor <= brokerCount else {
            throw .invalidArgument(
                """
                topic '\(spec.name)': replication factor \(spec.replicationFactor) exceeds the \(brokerCount) \
                embedded broker(s)
                """
            )
        }
        if let code = rd_kafka_mock_topic_create(
            cluster, spec.name, Int32(spec.partitions), Int32(spec.replicationFactor)
        ).nonZero {
            throw KafkaError(rdKafka: code, context: "create topic '\(spec.name)' on the embedded cluster")
        }
    }

    // MARK: Fault injection

    /// Broker ids run from 1 to ``brokerCount``.
    public func setBrokerDown(_ broker: Int32) throws(KafkaError) {
        try check(rd_kafka_mock_broker_set_down(cluster, broker), "take broker \(broker) down")
    }

    public func setBrokerUp(_ broker: Int32) throws(KafkaError) {
        try check(rd_kafka_mock_broker_set_up(cluster, broker), "bring broker \(broker) up")
    }

    /// Delays every response of `broker` by `rtt`.
    public func setRoundTripTime(_ rtt: Duration, broker: Int32) throws(KafkaError) {
        try check(
            rd_kafka_mock_broker_set_rtt(cluster, broker, Int32(clamping: rtt.milliseconds)),
            "set RTT of broker \(broker)")
    }

    /// Moves the leadership of a partition.
    public func setPartitionLeader(topic: String, partition: Int32, broker: Int32) throws(KafkaError) {
        try check(
            rd_kafka_mock_partition_set_leader(cluster, topic, partition, broker),
            "move leader of \(topic)[\(partition)]")
    }

    /// Makes the next `count` Produce requests fail with a retriable broker error
    /// (`NOT_LEADER_FOR_PARTITION`), which the producer must survive without losing or
    /// duplicating messages.
    public func failNextProduceRequests(_ count: Int) {
        let errors = [rd_kafka_resp_err_t](repeating: RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, count: count)
        errors.withUnsafeBufferPointer { buffer in
            rd_kafka_mock_push_request_errors_array(cluster, produceAPIKey, buffer.count, buffer.baseAddress)
        }
    }

    /// Kafka protocol ApiKey of Produce requests.
    private let produceAPIKey: Int16 = 0

    private func check(_ code: rd_kafka_resp_err_t, _ what: String) throws(KafkaError) {
        if let code = code.nonZero { throw KafkaError(rdKafka: code, context: what) }
    }
}
