public import Kafka

/// The Kafka clients a worker process opens, configured one way for every worker: its group
/// consumer, its readers of topics outside the group (ledger, control, status, journal) and its
/// producer. The worker gives the names, the passthrough librdkafka properties (which win over
/// anything set here) and its latency profile.
public struct WorkerKafkaClients: Sendable {
    public var bootstrapServers: String
    /// The client id of the group consumer and the producer; readers add their purpose.
    public var clientID: String
    public var properties: [String: String]
    public var latency: LatencyProfile

    public init(bootstrapServers: String, clientID: String, properties: [String: String], latency: LatencyProfile) {
        self.bootstrapServers = bootstrapServers
        self.clientID = clientID
        self.properties = properties
        self.latency = latency
    }

    /// The group consumer. At the in-flight bound the worker stops taking messages and
    /// librdkafka's prefetch fills up to 8 MB (its default, 64 MB, would dwarf the work in flight);
    /// commits every second keep what a crash redelivers small; a polled batch of up to
    /// `pollBatchSize` is handed out one message at a time as slots free.
    public func groupConsumer(groupID: String, sessionTimeout: Duration, pollBatchSize: Int)
        -> KafkaConsumerConfiguration
    {
        var configuration = KafkaConsumerConfiguration(
            common: KafkaConfiguration(
                bootstrapServers: bootstrapServers, clientID: clientID,
                properties: ["queued.max.messages.kbytes": "8192"].merging(properties) { _, given in given }
            ),
            groupID: groupID
        )
        configuration.sessionTimeout = sessionTimeout
        configuration.commitInterval = .seconds(1)
        configuration.fetchMaxWait = latency.fetchWait
        configuration.pollBatchSize = pollBatchSize
        return configuration
    }

    /// A reader of partitions it assigns itself, outside the worker's group (`clientID-purpose`).
    public func reader(purpose: String, groupID: String) -> KafkaConsumerConfiguration {
        var configuration = KafkaConsumerConfiguration(
            common: KafkaConfiguration(
                bootstrapServers: bootstrapServers, clientID: "\(clientID)-\(purpose)", properties: properties),
            groupID: groupID
        )
        configuration.pollBatchSize = 1_000
        configuration.fetchMaxWait = latency.fetchWait
        return configuration
    }

    public var producer: KafkaProducerConfiguration {
        KafkaProducerConfiguration(
            common: KafkaConfiguration(bootstrapServers: bootstrapServers, clientID: clientID, properties: properties),
            linger: latency.linger
        )
    }
}
