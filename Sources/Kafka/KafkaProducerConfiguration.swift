/// Producer settings. Defaults favour low latency with safe delivery.
public struct KafkaProducerConfiguration: Sendable, Hashable {
    public var common: KafkaConfiguration
    /// Idempotent producer (`enable.idempotence`, implies `acks=all`): retries never duplicate or
    /// reorder a partition's messages. Default `true`.
    public var idempotence: Bool
    /// How long the producer waits to batch messages (`linger.ms`). Default 1 ms: replies leave
    /// almost at once while bursts still batch.
    public var linger: Duration
    /// Upper bound for a message's delivery, retries included (`message.timeout.ms`).
    /// An awaited send completes or throws within this time. Default 30 s.
    public var deliveryTimeout: Duration
    /// Messages the local queue holds before `send` waits for room
    /// (`queue.buffering.max.messages`). Default 100,000.
    public var maxQueuedMessages: Int
    /// Compression codec (`compression.type`): none, gzip, snappy, lz4, zstd. Default `none`.
    public var compression: String

    public init(
        common: KafkaConfiguration,
        idempotence: Bool = true,
        linger: Duration = .milliseconds(1),
        deliveryTimeout: Duration = .seconds(30),
        maxQueuedMessages: Int = 100_000,
        compression: String = "none"
    ) {
        self.common = common
        self.idempotence = idempotence
        self.linger = linger
        self.deliveryTimeout = deliveryTimeout
        self.maxQueuedMessages = maxQueuedMessages
        self.compression = compression
    }

    public init(bootstrapServers: String) {
        self.init(common: KafkaConfiguration(bootstrapServers: bootstrapServers))
    }

    /// The complete librdkafka property set, passthrough applied last.
    public func rdKafkaProperties() -> [String: String] {
        var properties = common.rdKafkaProperties()
        properties["enable.idempotence"] = String(idempotence)
        if idempotence { properties["acks"] = "all" }
        properties["linger.ms"] = String(linger.milliseconds)
        properties["message.timeout.ms"] = String(deliveryTimeout.milliseconds)
        properties["queue.buffering.max.messages"] = String(maxQueuedMessages)
        properties["compression.type"] = compression
        return properties.overlaid(with: common.properties)
    }
}
