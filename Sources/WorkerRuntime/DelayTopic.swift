import Kafka

/// A topic that holds outputs until they are due, so that a long wait (a provider's
/// `retry_after`) neither holds its input's offset nor an in-flight slot.
///
/// Partition `i` is a tier that delays by `tiers[i]`: a message goes to the longest tier not
/// longer than what is left of its wait, and comes out when the tier's delay has passed since it
/// was written; then it is published when due, or written again to a shorter tier. Within a
/// partition every message waits the same time, so they come out in the order they went in and
/// the committed offset moves on as they do: a rebalance hands over exactly the waits still
/// pending.
///
/// A delayed message is the output itself (key, value, headers) with the headers below added.
public struct DelayTopic: Sendable, Hashable {
    public enum Header {
        /// Where the output goes when due.
        public static let topic = "delay-topic"
        /// Its partition there, when it has one.
        public static let partition = "delay-partition"
        /// When it is due, milliseconds since the epoch.
        public static let dueMs = "delay-due-ms"
        /// When it leaves this tier, milliseconds since the epoch.
        public static let releaseMs = "delay-release-ms"
    }

    public var name: String
    /// Each partition's delay, shortest first. Default 1, 2, 4, … 256 s (9 partitions).
    public var tiers: [Duration]

    public init(name: String, tiers: [Duration] = (0..<9).map { .seconds(1 << $0) }) {
        self.name = name
        self.tiers = tiers
    }

    /// The tier for a wait of `remaining`: the longest tier delay not longer than it (the
    /// shortest when every tier is longer).
    public func tier(for remaining: Duration) -> Int {
        tiers.lastIndex { $0 <= remaining } ?? 0
    }

    /// `output` as a delayed message in the tier for its wait.
    func delayed(_ output: KafkaProducerMessage, dueMs: Int64, nowMs: Int64) -> KafkaProducerMessage {
        let remaining = Duration.milliseconds(max(0, dueMs - nowMs))
        let tier = tier(for: remaining)
        let release = nowMs + Journal.milliseconds(tiers[tier])
        var headers = output.headers.filter { !$0.key.hasPrefix("delay-") }
        headers.append(KafkaHeader(key: Header.topic, value: output.topic))
        if let partition = output.partition {
            headers.append(KafkaHeader(key: Header.partition, value: "\(partition)"))
        }
        headers.append(KafkaHeader(key: Header.dueMs, value: "\(dueMs)"))
        headers.append(KafkaHeader(key: Header.releaseMs, value: "\(release)"))
        return KafkaProducerMessage(
            topic: name, partition: Int32(tier), key: output.key, value: output.value, headers: headers)
    }

    /// A delayed message read back: the output, when it is due and when it leaves its tier;
    /// `nil` when the headers are missing or unreadable.
    static func read(_ message: KafkaConsumerMessage) -> (output: KafkaProducerMessage, dueMs: Int64, releaseMs: Int64)?
    {
        func header(_ name: String) -> String? { message.header(name)?.stringValue }
        guard let topic = header(Header.topic), let due = header(Header.dueMs).flatMap({ Int64($0) }),
            let release = header(Header.releaseMs).flatMap({ Int64($0) })
        else { return nil }
        let partition = header(Header.partition).flatMap { Int32($0) }
        let headers = message.headers.filter { !$0.key.hasPrefix("delay-") }
        let output = KafkaProducerMessage(
            topic: topic, partition: partition, key: message.key, value: message.value, headers: headers)
        return (output, due, release)
    }
}
