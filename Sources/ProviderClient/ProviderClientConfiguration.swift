import Foundation
public import Kafka
import Topics

/// Settings of a ``ProviderClient``. Every member has a documented default; ``common`` carries
/// the bootstrap servers and passes any librdkafka property through (TLS, SASL, tuning), applied
/// last to the client's producer and reply reader.
public struct ProviderClientConfiguration: Sendable, Hashable {
    /// Bootstrap servers, `client.id` and the librdkafka passthrough (`common.properties`).
    public var common: KafkaConfiguration
    /// This client's name: the default reply topic is `llm.replies.<clientID>` and signals it
    /// sends carry `source: client/<clientID>`. Default: the host name (first label), lowercased, with
    /// characters a topic name cannot hold replaced by `-` (so repeated runs on one host reuse
    /// one reply topic instead of leaving a topic per process behind). Letters, digits, `.`,
    /// `_`, `-`.
    public var clientID: String
    /// Prepended to every default topic name (`llm.router.requests`, `llm.requests.<provider>`,
    /// `llm.replies.<clientID>`), as the agents' `topic_prefix`. Default none.
    public var topicPrefix: String
    /// The topic answers come back on, named in every request's `reply_to`. `nil` (the
    /// default): the per-client topic ``topicPrefix`` + `llm.replies.<clientID>`, created at
    /// start when missing (``replyTopicPartitions``, ``replyTopicRetention``). A name: an
    /// existing topic (for example `llm.responses`), never created; it may be shared with
    /// other clients, whose answers this client ignores (and counts).
    public var replyTopic: String?
    /// Partitions of a per-client reply topic the client creates. Default 3: one reader reads
    /// them all (a partition is read at well over 100k messages/s, far above any client's
    /// answer rate), and a few partitions spread the topic over a few brokers.
    public var replyTopicPartitions: Int
    /// Replication factor of a per-client reply topic the client creates. Default 1; use the
    /// cluster's usual factor (3) on a production cluster.
    public var replyTopicReplicationFactor: Int
    /// `retention.ms` (and `segment.ms`, so the retention can take effect) of a per-client reply
    /// topic the client creates. Default 1 hour: an answer is useless once its call has given up
    /// (the default call timeout is 2 minutes), and the client reads its topic from the end at
    /// every start, so older answers are only kept for an operator to look at.
    public var replyTopicRetention: Duration
    /// How long a call waits for its final answer when the call names no timeout. Default 2 minutes.
    public var defaultTimeout: Duration
    /// How long ``ProviderClient/start()`` may wait for the broker (metadata, topic creation,
    /// positioning on the reply topic) before failing with an error naming the address. Default 10 s.
    public var connectTimeout: Duration
    /// Upper bound for a request's delivery, retries included (`message.timeout.ms`); a send
    /// completes or throws within it. Default 30 s.
    public var deliveryTimeout: Duration
    /// Longest the reply reader's fetch waits at the broker when there is nothing to read
    /// (`fetch.wait.max.ms`). Default: the latency profile's (5 ms in `balanced`).
    public var fetchMaxWait: Duration
    /// How long the request producer waits to batch (`linger.ms`). Default: the latency
    /// profile's (none in `balanced`).
    public var linger: Duration
    /// How often expired calls are looked for: a call's timeout fires up to this late. Default 50 ms.
    public var timeoutResolution: Duration
    /// How many answered (or given up) request ids are remembered, so that later answers for
    /// them are counted as duplicates (or late answers) and dropped instead of counted as
    /// foreign. Default 100,000 (a few MB).
    public var rememberedRequests: Int
    /// When a call's request has neither `expires_at` nor `timeout_ms`, set `timeout_ms` to the
    /// call's timeout, so that no router or agent works on an answer the caller stopped waiting
    /// for. Default `true`.
    public var propagatesTimeout: Bool
    /// Largest answer accepted from the reply topic; larger ones are counted as undecodable.
    /// Default 8 MiB.
    public var maxAnswerBytes: Int

    public init(
        common: KafkaConfiguration,
        clientID: String = ProviderClientConfiguration.defaultClientID(),
        topicPrefix: String = "",
        replyTopic: String? = nil,
        replyTopicPartitions: Int = 3,
        replyTopicReplicationFactor: Int = 1,
        replyTopicRetention: Duration = .seconds(3_600),
        defaultTimeout: Duration = .seconds(120),
        connectTimeout: Duration = .seconds(10),
        deliveryTimeout: Duration = .seconds(30),
        fetchMaxWait: Duration = LatencyProfile.balanced.fetchWait,
        linger: Duration = LatencyProfile.balanced.linger,
        timeoutResolution: Duration = .milliseconds(50),
        rememberedRequests: Int = 100_000,
        propagatesTimeout: Bool = true,
        maxAnswerBytes: Int = 8 << 20
    ) {
        self.common = common
        self.clientID = clientID
        self.topicPrefix = topicPrefix
        self.replyTopic = replyTopic
        self.replyTopicPartitions = replyTopicPartitions
        self.replyTopicReplicationFactor = replyTopicReplicationFactor
        self.replyTopicRetention = replyTopicRetention
        self.defaultTimeout = defaultTimeout
        self.connectTimeout = connectTimeout
        self.deliveryTimeout = deliveryTimeout
        self.fetchMaxWait = fetchMaxWait
        self.linger = linger
        self.timeoutResolution = timeoutResolution
        self.rememberedRequests = rememberedRequests
        self.propagatesTimeout = propagatesTimeout
        self.maxAnswerBytes = maxAnswerBytes
    }

    public init(bootstrapServers: String, clientID: String = ProviderClientConfiguration.defaultClientID()) {
        self.init(
            common: KafkaConfiguration(bootstrapServers: bootstrapServers, clientID: "provider-client-\(clientID)"),
            clientID: clientID)
    }

    /// The router's request topic: where ``ProviderClient/send(_:as:to:)`` sends by default.
    public var routerTopic: String { topics.routerRequests }

    /// A provider's request topic, for sending straight to its agents (no router, no fallback).
    public func providerTopic(_ provider: String) -> String { topics.requests(provider) }

    /// The reply topic in effect: ``replyTopic``, else the per-client topic.
    public var effectiveReplyTopic: String { replyTopic ?? topics.clientReplies(clientID) }

    /// Every topic name, behind ``topicPrefix``.
    private var topics: TopicNames { TopicNames(prefix: topicPrefix) }

    /// Whether the client creates its reply topic when it is missing (only the per-client one).
    public var createsReplyTopic: Bool { replyTopic == nil }

    /// The host name (its first label, as the agents' default instance id) as a client id:
    /// lowercased, characters outside `[a-z0-9._-]` replaced by `-`; `client` when nothing is left.
    public static func defaultClientID() -> String {
        sanitizedClientID(ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "")
    }

    static func sanitizedClientID(_ raw: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789._-")
        let mapped = String(raw.lowercased().map { allowed.contains($0) ? $0 : "-" }.prefix(200))
        let trimmed = mapped.trimmingCharacters(in: CharacterSet(charactersIn: ".-"))
        return trimmed.isEmpty ? "client" : trimmed
    }

    /// What is wrong with these settings, if anything.
    func problem() -> String? {
        if clientID.isEmpty || clientID.count > 200
            || !clientID.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) })
        {
            return "clientID '\(clientID)' must be 1 to 200 ASCII letters, digits, '.', '_' or '-'"
        }
        if let replyTopic, replyTopic.isEmpty { return "replyTopic must not be empty (nil means the per-client topic)" }
        if replyTopicPartitions < 1 { return "replyTopicPartitions must be at least 1, got \(replyTopicPartitions)" }
        if replyTopicReplicationFactor < 1 {
            return "replyTopicReplicationFactor must be at least 1, got \(replyTopicReplicationFactor)"
        }
        if replyTopicRetention < .milliseconds(1) { return "replyTopicRetention must be at least 1 ms" }
        if defaultTimeout <= .zero { return "defaultTimeout must be positive" }
        if connectTimeout <= .zero { return "connectTimeout must be positive" }
        if deliveryTimeout < .milliseconds(1) { return "deliveryTimeout must be at least 1 ms" }
        if timeoutResolution < .milliseconds(1) { return "timeoutResolution must be at least 1 ms" }
        if rememberedRequests < 0 { return "rememberedRequests must not be negative" }
        if maxAnswerBytes < 1 { return "maxAnswerBytes must be positive" }
        return nil
    }

    /// Takes a latency profile's fetch wait and linger.
    public mutating func apply(_ profile: LatencyProfile) {
        fetchMaxWait = profile.fetchWait
        linger = profile.linger
    }

    var producerConfiguration: KafkaProducerConfiguration {
        KafkaProducerConfiguration(common: common, linger: linger, deliveryTimeout: deliveryTimeout)
    }

    /// A reader of assigned partitions: no subscription, nothing stored or committed.
    var readerConfiguration: KafkaConsumerConfiguration {
        var common = common
        common.properties = ["enable.auto.commit": "false"].merging(common.properties) { _, given in given }
        var configuration = KafkaConsumerConfiguration(common: common, groupID: "provider-client-\(clientID)")
        configuration.fetchMaxWait = fetchMaxWait
        configuration.pollBatchSize = 1_000
        return configuration
    }

    /// The topic spec of a per-client reply topic.
    var replyTopicSpec: KafkaTopicSpec {
        let retention = String(Self.milliseconds(replyTopicRetention))
        return KafkaTopicSpec(
            name: effectiveReplyTopic, partitions: replyTopicPartitions, replicationFactor: replyTopicReplicationFactor,
            configs: ["retention.ms": retention, "segment.ms": retention]
        )
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000 + attoseconds / 1_000_000_000_000_000
    }
}
