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

    /// The shortest fetch wait of a reader of history (the journal). A broker may need longer than
    /// a short wait to find an offset deep in a long partition: Tansu 0.6.0 answers a fetch at
    /// offset 999,931 of a 1,000,000-record partition with nothing, again and again, at a 5-ms wait,
    /// and at once at 20 ms. Waiting longer costs nothing while there is data to read.
    public static let historyFetchWait = Duration.milliseconds(100)

    /// The fetch wait of a follower of a topic that changes rarely (status, control, gateway
    /// heartbeats, batch files and jobs): a change reaches it within this wait. Every idle
    /// consumer costs the broker a fetch per wait: at a 5-ms wait, the gateway's four followers
    /// kept Tansu 0.6.0 at a third of a core with nothing to read (docs/benchmarks.md).
    public static let followerFetchWait = Duration.milliseconds(100)

    /// A reader that follows a topic that changes rarely: ``reader(purpose:groupID:minimumFetchWait:)``
    /// with at least ``followerFetchWait``.
    public func follower(purpose: String, groupID: String) -> KafkaConsumerConfiguration {
        reader(purpose: purpose, groupID: groupID, minimumFetchWait: Self.followerFetchWait)
    }

    /// A reader of partitions it assigns itself, outside the worker's group (`clientID-purpose`),
    /// fetching with the latency profile's wait, or `minimumFetchWait` when that is longer.
    public func reader(purpose: String, groupID: String, minimumFetchWait: Duration = .zero)
        -> KafkaConsumerConfiguration
    {
        var configuration = KafkaConsumerConfiguration(
            common: KafkaConfiguration(
                bootstrapServers: bootstrapServers, clientID: "\(clientID)-\(purpose)", properties: properties),
            groupID: groupID
        )
        configuration.pollBatchSize = 1_000
        configuration.fetchMaxWait = max(latency.fetchWait, minimumFetchWait)
        return configuration
    }

    public var producer: KafkaProducerConfiguration {
        KafkaProducerConfiguration(
            common: KafkaConfiguration(bootstrapServers: bootstrapServers, clientID: clientID, properties: properties),
            linger: latency.linger
        )
    }
}
