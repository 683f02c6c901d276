public import Kafka
public import Router
public import Topics
public import WorkerRuntime

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
    /// Waits up to this long (a backoff, a provider's `retry_after`) are kept in memory; longer
    /// ones go through the delay topic, so the committed offset and the reader never wait for
    /// them. Default 1 s.
    public var shortWaitLimit: Duration = .seconds(1)
    /// Decisions recorded this long ago or less are repeated, not made again, when their message
    /// comes again (a redelivery after a router died, a client resending). Default 10 minutes.
    public var journalWindow: Duration = .seconds(600)
    /// How long a forward may keep failing to publish before the client gets a final error
    /// instead. Default 30 s.
    public var publishTimeout: Duration = .seconds(30)
    /// Consumer and producer timing (fetch wait, linger); see ``LatencyProfile``.
    public var latency: LatencyProfile = .balanced
    /// Hears where each message is (benchmarks, metrics); `nil` by default.
    public var observer: (any WorkerObserver)? = nil

    public init(
        instanceID: String, bootstrapServers: String, topicPrefix: String = "",
        routing: RoutingConfiguration = RoutingConfiguration(),
        reroute: RerouteSettings = RerouteSettings(), staleAfterMissedIntervals: Int = 3,
        forgetAfter: Duration = .seconds(600),
        maxInFlight: Int = 10_000, maxMessageBytes: Int = 1 << 20, sessionTimeout: Duration = .seconds(10),
        drainTimeout: Duration = .seconds(10), connectTimeout: Duration = .seconds(10),
        kafkaProperties: [String: String] = [:]
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

    /// Every topic name, behind ``topicPrefix``.
    public var topics: TopicNames { TopicNames(prefix: topicPrefix) }
    public var routerRequestTopic: String { topics.routerRequests }
    public var errorTopic: String { topics.errors }
    public var statusTopic: String { topics.status }
    public var deadLetterTopic: String { topics.deadLetters }
    public var journalTopic: String { topics.routerJournal }
    public var delayTopic: String { topics.routerDelays }
    public func requestTopic(of provider: String) -> String { topics.requests(provider) }
    /// `llm-router`, behind the topic prefix like the topics (environments never share a group).
    public var groupID: String { topicPrefix + "llm-router" }
    public var source: String { "router/\(instanceID)" }

    /// The router's Kafka clients, named `router-<instance>`.
    var kafkaClients: WorkerKafkaClients {
        WorkerKafkaClients(
            bootstrapServers: bootstrapServers, clientID: "router-\(instanceID)", properties: kafkaProperties,
            latency: latency)
    }

    var consumerConfiguration: KafkaConsumerConfiguration {
        kafkaClients.groupConsumer(groupID: groupID, sessionTimeout: sessionTimeout, pollBatchSize: 256)
    }

    /// Reads every partition of one of the router's topics (`status`, `journal`), outside any group.
    func readerConfiguration(purpose: String, minimumFetchWait: Duration = .zero) -> KafkaConsumerConfiguration {
        kafkaClients.reader(
            purpose: purpose, groupID: "llm-router-\(purpose)-reader", minimumFetchWait: minimumFetchWait)
    }

    var producerConfiguration: KafkaProducerConfiguration { kafkaClients.producer }

    /// What the worker runtime runs this router with.
    var workerConfiguration: WorkerConfiguration {
        WorkerConfiguration(
            name: source, consumer: consumerConfiguration, producer: producerConfiguration,
            reader: readerConfiguration(purpose: "journal", minimumFetchWait: WorkerKafkaClients.historyFetchWait),
            inputs: [routerRequestTopic, errorTopic, delayTopic], deadLetterTopic: deadLetterTopic,
            maxInFlight: maxInFlight,
            shortWaitLimit: shortWaitLimit, delays: DelayTopic(name: delayTopic),
            journal: JournalConfiguration(topic: journalTopic, window: journalWindow),
            publishTimeout: publishTimeout, drainTimeout: drainTimeout, connectTimeout: connectTimeout,
            observer: observer
        )
    }
}
