/// A topic to create: name, partitions, replication factor, topic-level configs
/// (`cleanup.policy`, `retention.ms`, ...).
public struct KafkaTopicSpec: Sendable, Hashable, Codable {
    public var name: String
    public var partitions: Int
    public var replicationFactor: Int
    public var configs: [String: String]

    public init(name: String, partitions: Int, replicationFactor: Int = 1, configs: [String: String] = [:]) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.configs = configs
    }

    /// Kafka's rules for a topic: legal name, at least one partition and replica.
    public func validate() throws(KafkaError) {
        guard !name.isEmpty, name.count <= 249, name != ".", name != ".." else {
            throw .invalidArgument("topic name '\(name)' must have 1 to 249 characters and not be '.' or '..'")
        }
        let allowed = name.unicodeScalars.allSatisfy { scalar in
            ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
                || scalar == "." || scalar == "_" || scalar == "-"
        }
        guard allowed else {
            throw .invalidArgument("topic name '\(name)' may contain only ASCII letters, digits, '.', '_' and '-'")
        }
        guard partitions >= 1 else {
            throw .invalidArgument("topic '\(name)': partitions must be at least 1, got \(partitions)")
        }
        guard replicationFactor >= 1 else {
            throw .invalidArgument("topic '\(name)': replication factor must be at least 1, got \(replicationFactor)")
        }
    }
}

/// What ``KafkaAdmin/createTopics(_:timeout:)`` did with one topic.
public enum KafkaTopicCreation: Sendable, Hashable {
    case created
    case alreadyExisted
}
