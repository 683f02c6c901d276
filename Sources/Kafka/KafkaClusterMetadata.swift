internal import CRdKafka

/// Brokers and topics as the cluster reports them.
public struct KafkaClusterMetadata: Sendable, Hashable {
    public struct Broker: Sendable, Hashable {
        public var id: Int32
        public var host: String
        public var port: Int32
    }

    public struct Topic: Sendable, Hashable {
        public var name: String
        public var partitionCount: Int
        /// Set when the broker reported an error for the topic (for example unknown topic).
        public var error: KafkaError?
    }

    public var brokers: [Broker]
    public var topics: [String: Topic]

    init(_ raw: rd_kafka_metadata) {
        brokers = (0..<Int(raw.broker_cnt)).map { index in
            let broker = raw.brokers[index]
            return Broker(id: broker.id, host: String(cString: broker.host), port: broker.port)
        }
        var topics: [String: Topic] = [:]
        for index in 0..<Int(raw.topic_cnt) {
            let topic = raw.topics[index]
            let name = String(cString: topic.topic)
            let error =
                topic.err == RD_KAFKA_RESP_ERR_NO_ERROR
                ? nil : KafkaError(rdKafka: topic.err, context: "topic '\(name)'")
            topics[name] = Topic(name: name, partitionCount: Int(topic.partition_cnt), error: error)
        }
        self.topics = topics
    }

    /// The topic's partition count, or an error naming the missing topic.
    public func partitionCount(of topic: String) throws(KafkaError) -> Int {
        guard let entry = topics[topic], entry.error == nil, entry.partitionCount > 0 else {
            throw KafkaError(code: .unknownTopic, message: "topic '\(topic)' does not exist on the cluster")
        }
        return entry.partitionCount
    }
}
