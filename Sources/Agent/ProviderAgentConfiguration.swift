public import AgentCore
public import Common
public import Kafka
public import Topics
public import WorkerRuntime

/// Everything a provider agent instance needs. Defaults follow docs/agent-core.md.
public struct ProviderAgentConfiguration: Sendable {
    /// Provider name (`openai`, `anthropic`, `local`): topics `llm.requests.<provider>`, group
    /// `llm-provider-<provider>`.
    public var provider: String
    /// This instance, in signals' `instance` / `source` fields.
    public var instanceID: String
    public var bootstrapServers: String
    /// Prepended to every topic name (an environment prefix such as `staging.`).
    public var topicPrefix: String
    /// Messages in flight (consumed, not yet answered and stored) before fetching pauses. Default 512.
    public var maxInFlight: Int
    /// Concurrent provider calls; above it requests are refused as `overloaded` (retryable). Keep it
    /// at or above `maxInFlight` unless the upstream itself needs a lower bound. Default 512.
    public var maxConcurrentCalls: Int
    public var rateLimit: RateLimitPolicy
    /// Per-model RPM / TPM of the upstream account (by model or family prefix), enforced besides
    /// ``rateLimit`` and shared across instances like it. Default none; the HTTP backends start
    /// from ``ModelRateTiers/openAIDefaults`` / ``ModelRateTiers/anthropicDefaults``.
    public var modelTiers: ModelRateTiers = .none
    public var breaker: CircuitBreakerPolicy
    public var models: Set<String>
    public var defaultModel: String?
    public var prices: PriceTable
    /// Largest accepted message value (larger ones are refused as `invalid_request` / dead-lettered).
    public var maxMessageBytes: Int
    /// Passed to the Kafka clients (TLS, SASL, tuning).
    public var kafkaProperties: [String: String]
    public var sessionTimeout: Duration
    /// How often `provider_status` is published to `llm.status` (also on every breaker transition
    /// and once more at shutdown). Default 5 s.
    public var statusInterval: Duration
    /// At shutdown, how long in-flight calls may still run; after it they are abandoned (not
    /// answered, offsets not stored, so the partition's next owner answers them). Default 30 s.
    public var drainTimeout: Duration
    /// Record every call in the ledger and answer redelivered requests from it (no double
    /// billing across crashes and rebalances). Turn off only where a repeated call costs nothing
    /// (a local model): it saves two acknowledged writes per call. Default on.
    public var ledger: Bool
    /// How long the start may wait for the broker's metadata (topics, partitions) before it fails
    /// naming the address. Default 10 s.
    public var connectTimeout: Duration = .seconds(10)
    /// Machine load thresholds (refuse `resource_constrained`, shrink concurrency) and the
    /// sampling interval. Default: sampled every 2 s, no thresholds.
    public var resources = ResourcePolicy()
    /// Requests recorded in the ledger this long ago or less are recognised when they come again
    /// (redelivered, resent by a router's successor, retried by a client with the same id) and
    /// answered from it; see docs/architecture.md. Default 10 minutes.
    public var ledgerWindow: Duration = .seconds(600)
    /// Added to the window when a newly assigned partition's ledger is read (clocks of different
    /// hosts disagree). Default 30 s.
    public var ledgerClockSkewMargin: Duration = .seconds(30)
    /// Requests remembered per owned partition at most. Default 250,000.
    public var ledgerMaxEntries = 250_000
    /// How long an answer may keep failing to publish before it is replaced by an error on the
    /// error topic (or dead-lettered). Default 60 s.
    public var publishTimeout: Duration = .seconds(60)
    /// Consumer and producer timing (fetch wait, linger); see ``LatencyProfile``.
    public var latency: LatencyProfile = .balanced
    /// Hears where each request is (benchmarks, metrics); `nil` by default.
    public var observer: (any WorkerObserver)? = nil

    public init(
        provider: String, instanceID: String, bootstrapServers: String, topicPrefix: String = "",
        maxInFlight: Int = 512, maxConcurrentCalls: Int = 512,
        rateLimit: RateLimitPolicy = RateLimitPolicy(), breaker: CircuitBreakerPolicy = CircuitBreakerPolicy(),
        models: Set<String>, defaultModel: String? = nil, prices: PriceTable = PriceTable(),
        maxMessageBytes: Int = 1 << 20, kafkaProperties: [String: String] = [:],
        sessionTimeout: Duration = .seconds(10),
        statusInterval: Duration = .seconds(5), drainTimeout: Duration = .seconds(30), ledger: Bool = true
    ) {
        self.provider = provider
        self.instanceID = instanceID
        self.bootstrapServers = bootstrapServers
        self.topicPrefix = topicPrefix
        self.maxInFlight = maxInFlight
        self.maxConcurrentCalls = maxConcurrentCalls
        self.rateLimit = rateLimit
        self.breaker = breaker
        self.models = models
        self.defaultModel = defaultModel
        self.prices = prices
        self.maxMessageBytes = maxMessageBytes
        self.kafkaProperties = kafkaProperties
        self.sessionTimeout = sessionTimeout
        self.statusInterval = statusInterval
        self.drainTimeout = drainTimeout
        self.ledger = ledger
    }

    /// Every topic name, behind ``topicPrefix``.
    public var topics: TopicNames { TopicNames(prefix: topicPrefix) }
    public var requestTopic: String { topics.requests(provider) }
    public var responseTopic: String { topics.responses }
    public var errorTopic: String { topics.errors }
    public var deadLetterTopic: String { topics.deadLetters }
    public var statusTopic: String { topics.status }
    /// (request_id, attempt) → outcome of every call that reached the provider; as many
    /// partitions as the request topic.
    public var ledgerTopic: String { topics.ledger(provider) }
    /// Compacted configuration signals every instance applies (`configure_provider`, ...).
    public var controlTopic: String { topics.control(provider) }
    /// `agent/<provider>/<instance>`: the `source` of every signal this instance publishes.
    public var source: String { "agent/\(provider)/\(instanceID)" }
    /// Key of this instance's `provider_status` in the compacted status topic.
    public var statusKey: String { "\(provider)/\(instanceID)" }
    /// `llm-provider-<provider>`, behind the topic prefix like the topics: environments sharing a
    /// cluster (`staging.`, ...) never share a consumer group.
    public var groupID: String { topicPrefix + "llm-provider-\(provider)" }

    /// The agent's Kafka clients, named `agent-<provider>-<instance>`.
    var kafkaClients: WorkerKafkaClients {
        WorkerKafkaClients(
            bootstrapServers: bootstrapServers, clientID: "agent-\(provider)-\(instanceID)",
            properties: kafkaProperties,
            latency: latency)
    }

    var consumerConfiguration: KafkaConsumerConfiguration {
        // Small batches: a batch already polled waits in memory until slots free.
        kafkaClients.groupConsumer(
            groupID: groupID, sessionTimeout: sessionTimeout, pollBatchSize: max(1, min(512, maxInFlight / 4)))
    }

    /// A consumer that reads assigned partitions (ledger, control topic) outside any group.
    func readerConfiguration(purpose: String, minimumFetchWait: Duration = .zero) -> KafkaConsumerConfiguration {
        kafkaClients.reader(
            purpose: purpose, groupID: "llm-\(purpose)-reader-\(provider)", minimumFetchWait: minimumFetchWait)
    }

    var producerConfiguration: KafkaProducerConfiguration { kafkaClients.producer }

    /// What the worker runtime runs this agent with.
    var workerConfiguration: WorkerConfiguration {
        WorkerConfiguration(
            name: source, consumer: consumerConfiguration, producer: producerConfiguration,
            reader: readerConfiguration(purpose: "ledger", minimumFetchWait: WorkerKafkaClients.historyFetchWait),
            inputs: [requestTopic], deadLetterTopic: deadLetterTopic,
            maxInFlight: maxInFlight,
            journal: ledger
                ? JournalConfiguration(
                    topic: ledgerTopic, window: ledgerWindow, clockSkewMargin: ledgerClockSkewMargin,
                    maxEntriesPerPartition: ledgerMaxEntries
                ) : nil,
            publishTimeout: publishTimeout, drainTimeout: drainTimeout, connectTimeout: connectTimeout,
            observer: observer
        )
    }
}
