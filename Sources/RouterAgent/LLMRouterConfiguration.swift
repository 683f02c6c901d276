import Kafka
public import Router

/// Everything a router instance needs. Defaults follow docs/router.md.
public struct LLMRouterConfiguration: Sendable {
    /// This instance, in route contexts (`router/<instance>`) and logs.
    public var instanceID: String
    public var bootstrapServers: String
    /// Prepended to every topic name (an environment prefix such as `staging.`).
    public var topicPrefix: String
    /// Candidate choice: strategy, model map, capabilities, prices, weights.
    public var routing: RoutingConfiguration
    /// Attempts, total deadline, backoff, larger-context models.
    public var reroute: RerouteSettings
    /// Missed status intervals after which an agent instance counts as stale (default 3).
    public var staleAfterMissedIntervals: Int
    /// An instance silent for this long is dropped from the registry (default 10 minutes).
    public var forgetAfter: Duration
    /// Messages (requests and errors) in flight before fetching waits; includes those waiting
    /// out a backoff (default 10,000).
    public var maxInFlight: Int
    /// Largest accepted request (larger ones are answered `invalid_request` / dead-lettered). Default 1 MiB.
    public var maxMessageBytes: Int
    public var sessionTimeout: Duration
    /// At shutdown, how long forwarding may still go on; retries waiting out a backoff are
    /// handed back at once (their offsets are not stored: the next router continues them). Default 10 s.
    public var drainTimeout: Duration
    /// How long the start may wait for the broker (metadata, the status topic read). Default 10 s.
    public var connectTimeout: Duration
    /// Passed to the Kafka clients (TLS, SASL, tuning).
    public var kafkaProperties: [String: String]

    public init(
        instanceID: String, bootstrapServers: String, topicPrefix: String = "", routing: RoutingConfiguration = RoutingConfiguration(),
        reroute: RerouteSettings = RerouteSettings(), staleAfterMissedIntervals: Int = 3, forgetAfter: Duration = .seconds(600),
        maxInFlight: Int = 10_000, maxMessageBytes: Int = 1 << 20, sessionTimeout: Duration = .seconds(10),
        drainTimeout: Duration = .seconds(10), connectTimeout: Duration = .seconds(10), kafkaProperties: [String: String] = [:]
    ) {
        self.instanceID = instanceID
        self.bootstrapServers = bootstrapServers
        self.topicPrefix = topicPrefix
        self.routing = routing
        self.reroute = reroute
        self.staleAfterMissedIntervals = staleAfterMissedIntervals
        self.forgetAfter = forgetAfter
        self.maxInFlight = maxInFlight
        self.maxMessageBytes = maxMessageBytes
        self.sessionTimeout = sessionTimeout
        self.drainTimeout = drainTimeout
        self.connectTimeout = connectTimeout
        self.kafkaProperties = kafkaProperties
    }

    public var routerRequestTopic: String { topicPrefix + "llm.router.requests" }
    public var errorTopic: String { topicPrefix + "llm.errors" }
    public var statusTopic: String { topicPrefix + "llm.status" }
    public var deadLetterTopic: String { topicPrefix + "llm.dlq" }
    public func requestTopic(of provider: String) -> String { topicPrefix + "llm.requests.\(provider)" }
    /// `llm-router`, behind the topic prefix like the topics (environments never share a group).
    public var groupID: String { topicPrefix + "llm-router" }
    public var source: String { "router/\(instanceID)" }

    var consumerConfiguration: KafkaConsumerConfiguration {
        var configuration = KafkaConsumerConfiguration(
            common: KafkaConfiguration(
                bootstrapServers: bootstrapServers, clientID: "router-\(instanceID)",
                properties: ["queued.max.messages.kbytes": "8192"].merging(kafkaProperties) { _, given in given }
            ),
            groupID: groupID
        )
        configuration.sessionTimeout = sessionTimeout
        configuration.commitInterval = .seconds(1)
        configuration.pollBatchSize = 256
        return configuration
    }

    /// Reads every partition of the status topic, outside any group.
    var statusReaderConfiguration: KafkaConsumerConfiguration {
        var configuration = KafkaConsumerConfiguration(
            common: KafkaConfiguration(bootstrapServers: bootstrapServers, clientID: "router-\(instanceID)-status", properties: kafkaProperties),
            groupID: "llm-router-status-reader"
        )
        configuration.pollBatchSize = 1_000
        return configuration
    }

    var producerConfiguration: KafkaProducerConfiguration {
        KafkaProducerConfiguration(
            common: KafkaConfiguration(bootstrapServers: bootstrapServers, clientID: "router-\(instanceID)", properties: kafkaProperties)
        )
    }
}
