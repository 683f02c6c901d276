/// Group-consumer settings. Offsets are stored by the caller only for what it finished
/// (`enable.auto.offset.store=false`) and committed in the background and on close.
public struct KafkaConsumerConfiguration: Sendable, Hashable {
    /// Where a group with no committed offset starts (`auto.offset.reset`).
    public enum OffsetReset: String, Sendable, Hashable {
        case earliest, latest
    }

    public var common: KafkaConfiguration
    /// Consumer group (`group.id`).
    public var groupID: String
    /// Static membership (`group.instance.id`): a quick restart keeps the assignment. Default none.
    public var groupInstanceID: String?
    /// `earliest` by default, so no request sent before the first join is skipped.
    public var offsetReset: OffsetReset
    /// Failure-detection window (`session.timeout.ms`). Default 10 s: a crashed member's partitions
    /// move within seconds (the broker default of 45 s makes a first join slow on some brokers).
    public var sessionTimeout: Duration
    /// `heartbeat.interval.ms`. Default 1 s.
    public var heartbeatInterval: Duration
    /// Maximum time between polls before the member is considered stuck (`max.poll.interval.ms`).
    /// Default 5 min.
    public var maxPollInterval: Duration
    /// How often stored offsets are committed (`auto.commit.interval.ms`). Default 1 s.
    public var commitInterval: Duration
    /// Longest a fetch waits at the broker for data (`fetch.wait.max.ms`). Default 100 ms.
    public var fetchMaxWait: Duration
    /// Messages handed to Swift per poll of the dedicated thread. Default 512.
    public var pollBatchSize: Int

    public init(
        common: KafkaConfiguration,
        groupID: String,
        groupInstanceID: String? = nil,
        offsetReset: OffsetReset = .earliest,
        sessionTimeout: Duration = .seconds(10),
        heartbeatInterval: Duration = .seconds(1),
        maxPollInterval: Duration = .seconds(300),
        commitInterval: Duration = .seconds(1),
        fetchMaxWait: Duration = .milliseconds(100),
        pollBatchSize: Int = 512
    ) {
        self.common = common
        self.groupID = groupID
        self.groupInstanceID = groupInstanceID
        self.offsetReset = offsetReset
        self.sessionTimeout = sessionTimeout
        self.heartbeatInterval = heartbeatInterval
        self.maxPollInterval = maxPollInterval
        self.commitInterval = commitInterval
        self.fetchMaxWait = fetchMaxWait
        self.pollBatchSize = pollBatchSize
    }

    public init(bootstrapServers: String, groupID: String) {
        self.init(common: KafkaConfiguration(bootstrapServers: bootstrapServers), groupID: groupID)
    }

    /// The complete librdkafka property set, passthrough applied last.
    public func rdKafkaProperties() -> [String: String] {
        var properties = common.rdKafkaProperties()
        properties["group.id"] = groupID
        if let groupInstanceID { properties["group.instance.id"] = groupInstanceID }
        properties["partition.assignment.strategy"] = "cooperative-sticky"
        properties["enable.auto.offset.store"] = "false"
        properties["enable.auto.commit"] = "true"
        properties["auto.commit.interval.ms"] = String(commitInterval.milliseconds)
        properties["auto.offset.reset"] = offsetReset.rawValue
        properties["session.timeout.ms"] = String(sessionTimeout.milliseconds)
        properties["heartbeat.interval.ms"] = String(heartbeatInterval.milliseconds)
        properties["max.poll.interval.ms"] = String(maxPollInterval.milliseconds)
        properties["fetch.wait.max.ms"] = String(fetchMaxWait.milliseconds)
        return properties.overlaid(with: common.properties)
    }
}
