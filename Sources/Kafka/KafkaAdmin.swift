internal import CRdKafka
public import Logging

/// Cluster administration: create topics, read metadata and topic configs.
public final class KafkaAdmin: Sendable {
    private let client: RdKafkaClient
    private let configuration: KafkaConfiguration
    private let executor: BlockingExecutor

    public init(configuration: KafkaConfiguration, logger: Logger = Logger(label: "kafka.admin")) throws(KafkaError) {
        self.configuration = configuration
        client = try RdKafkaClient(
            kind: .producer,
            properties: configuration.rdKafkaProperties().overlaid(with: configuration.properties),
            callbacks: RdKafkaCallbacks(logger: logger)
        )
        executor = BlockingExecutor(label: "kafka.admin.blocking")
    }

    /// Cluster metadata; throws ``KafkaError/Code/brokerUnreachable`` when no broker answers in time.
    public func metadata(timeout: Duration = .seconds(10)) async throws(KafkaError) -> KafkaClusterMetadata {
        try await client.metadata(timeout: timeout, servers: configuration.bootstrapServers, on: executor)
    }

    /// Creates each topic; a topic that already exists is reported, not an error (idempotent).
    /// Throws for the first topic the cluster refuses, naming it.
    public func createTopics(
        _ topics: [KafkaTopicSpec], timeout: Duration = .seconds(30)
    ) async throws(KafkaError) -> [String: KafkaTopicCreation] {
        for topic in topics { try topic.validate() }
        guard !topics.isEmpty else { return [:] }
        // Fail fast, with the address in the message, when nothing answers.
        _ = try await metadata(timeout: min(timeout, .seconds(10)))
        let client = client
        return try await executor.run { () throws(KafkaError) -> [String: KafkaTopicCreation] in
            try Self.createTopicsBlocking(client.pointer, topics, timeout: timeout)
        }
    }

    /// The topic's configuration entries as the broker reports them.
    public func topicConfigs(_ topic: String, timeout: Duration = .seconds(10)) async throws(KafkaError) -> [String:
        String]
    {
        let client = client
        return try await executor.run { () throws(KafkaError) -> [String: String] in
            try Self.describeTopicConfigsBlocking(client.pointer, topic, timeout: timeout)
        }
    }

    // MARK: Blocking implementations (run on the executor's thread)

    private static func createTopicsBlocking(
        _ handle: OpaquePointer, _ topics: [KafkaTopicSpec], timeout: Duration
    ) throws(KafkaError) -> [String: KafkaTopicCreation] {
        var newTopics: [OpaquePointer?] = []
        defer { for topic in newTopics { rd_kafka_NewTopic_destroy(topic) } }
        var errorText = [CChar](repeating: 0, count: 512)
        for spec in topics {
            guard
                let newTopic = rd_kafka_NewTopic_new(
                    spec.name, Int32(spec.partitions), Int32(spec.replicationFactor), &errorText, errorText.count
                )
            else {
                throw .invalidArgument("topic '\(spec.name)': \(String(errorBuffer: errorText))")
            }
            newTopics.append(newTopic)
            for (key, value) in spec.configs.sorted(by: { $0.key < $1.key }) {
                if let error = rd_kafka_NewTopic_set_config(newTopic, key, value).nonZero {
                    throw KafkaError(rdKafka: error, context: "topic '\(spec.name)' config \(key)=\(value)")
                }
            }
        }
        let event = try runAdmin(handle, api: RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout: timeout, what: "create topics") {
            options, queue in
            rd_kafka_CreateTopics(handle, &newTopics, newTopics.count, options, queue)
        }
        defer { rd_kafka_event_destroy(event) }
        guard let result = rd_kafka_event_CreateTopics_result(event) else {
            throw KafkaError(code: .other, message: "create topics: unexpected admin result")
        }
        var count = 0
        let results = rd_kafka_CreateTopics_result_topics(result, &count)
        var outcome: [String: KafkaTopicCreation] = [:]
        for index in 0..<count {
            guard let topicResult = results?[index] else { continue }
            let name = String(cString: rd_kafka_topic_result_name(topicResult))
            let code = rd_kafka_topic_result_error(topicResult)
            switch code {
            case RD_KAFKA_RESP_ERR_NO_ERROR: outcome[name] = .created
            case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS: outcome[name] = .alreadyExisted
            default:
                let detail = rd_kafka_topic_result_error_string(topicResult).map { String(cString: $0) }
                throw KafkaError(rdKafka: code, context: "create topic '\(name)'", detail: detail)
            }
        }
        return outcome
    }

    private static func describeTopicConfigsBlocking(
        _ handle: OpaquePointer, _ topic: String, timeout: Duration
    ) throws(KafkaError) -> [String: String] {
        var resource: OpaquePointer? = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic)
        defer { rd_kafka_ConfigResource_destroy(resource) }
        let event = try runAdmin(
            handle, api: RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, timeout: timeout, what: "describe configs of '\(topic)'"
        ) { options, queue in
            rd_kafka_DescribeConfigs(handle, &resource, 1, options, queue)
        }
        defer { rd_kafka_event_destroy(event) }
        guard let result = rd_kafka_event_DescribeConfigs_result(event) else {
            throw KafkaError(code: .other, message: "describe configs: unexpected admin result")
        }
        var count = 0
        guard let resources = rd_kafka_DescribeConfigs_result_resources(result, &count), count > 0,
            let described = resources[0]
        else {
            throw KafkaError(code: .unknownTopic, message: "describe configs: no result for topic '\(topic)'")
        }
        if let code = rd_kafka_ConfigResource_error(described).nonZero {
            let detail = rd_kafka_ConfigResource_error_string(described).map { String(cString: $0) }
            throw KafkaError(rdKafka: code, context: "describe configs of topic '\(topic)'", detail: detail)
        }
        var entryCount = 0
        let entries = rd_kafka_ConfigResource_configs(described, &entryCount)
        var configs: [String: String] = [:]
        for index in 0..<entryCount {
            guard let entry = entries?[index], let value = rd_kafka_ConfigEntry_value(entry) else { continue }
            configs[String(cString: rd_kafka_ConfigEntry_name(entry))] = String(cString: value)
        }
        return configs
    }

    /// Runs one admin request on a private queue and returns its result event (caller destroys it).
    private static func runAdmin(
        _ handle: OpaquePointer, api: rd_kafka_admin_op_t, timeout: Duration, what: String,
        _ start: (_ options: OpaquePointer?, _ queue: OpaquePointer?) -> Void
    ) throws(KafkaError) -> OpaquePointer {
        let queue = rd_kafka_queue_new(handle)
        defer { rd_kafka_queue_destroy(queue) }
        let options = rd_kafka_AdminOptions_new(handle, api)
        defer { rd_kafka_AdminOptions_destroy(options) }
        var errorText = [CChar](repeating: 0, count: 512)
        let milliseconds = Int32(clamping: timeout.milliseconds)
        _ = rd_kafka_AdminOptions_set_request_timeout(options, milliseconds, &errorText, errorText.count)
        if api == RD_KAFKA_ADMIN_OP_CREATETOPICS {
            _ = rd_kafka_AdminOptions_set_operation_timeout(options, milliseconds, &errorText, errorText.count)
        }
        start(options, queue)
        // The request timeout bounds the wait; the extra second lets librdkafka report it itself.
        guard let event = rd_kafka_queue_poll(queue, milliseconds + 1000) else {
            throw KafkaError(code: .timedOut, message: "\(what): no answer within \(timeout)", isRetriable: true)
        }
        if let code = rd_kafka_event_error(event).nonZero {
            let detail = rd_kafka_event_error_string(event).map { String(cString: $0) }
            rd_kafka_event_destroy(event)
            throw KafkaError(rdKafka: code, context: what, detail: detail)
        }
        return event
    }
}
