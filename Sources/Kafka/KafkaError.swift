/// An error from a Kafka operation: what kind of failure (``code``), whether trying again can
/// help (``isRetriable``), whether the client is unusable from now on (``isFatal``), and a
/// message that names the problem.
public struct KafkaError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure. Open set of named values; compare with `==`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        init(_ name: String) { self.name = name }
        public var description: String { name }

        /// A property name or value that librdkafka rejects, or a typed setting out of range.
        public static let invalidConfiguration = Code("invalid_configuration")
        /// No broker answered in time (wrong address, broker down, network).
        public static let brokerUnreachable = Code("broker_unreachable")
        /// The operation did not complete within its time limit.
        public static let timedOut = Code("timed_out")
        /// The topic or partition does not exist on the cluster.
        public static let unknownTopic = Code("unknown_topic")
        /// The message is larger than the producer or broker accepts.
        public static let messageTooLarge = Code("message_too_large")
        /// The producer's local queue is full.
        public static let queueFull = Code("queue_full")
        /// Offsets were stored or committed for a partition this member no longer owns.
        public static let partitionNotAssigned = Code("partition_not_assigned")
        /// The broker or cluster does not support the request.
        public static let unsupported = Code("unsupported")
        /// Authentication or authorization failed.
        public static let notAuthorized = Code("not_authorized")
        /// The client was closed; no more operations are possible.
        public static let closed = Code("closed")
        /// The request's arguments are not valid (empty topic name, bad partition count, ...).
        public static let invalidArgument = Code("invalid_argument")
        /// The topic already exists (for topic creation).
        public static let topicAlreadyExists = Code("topic_already_exists")
        /// Unrecoverable client state (for example a fenced idempotent producer).
        public static let fatal = Code("fatal")
        /// Anything else librdkafka or the broker reports; ``KafkaError/rdKafkaName`` tells which.
        public static let other = Code("kafka_error")
    }

    public let code: Code
    /// Human-readable, names the problem (property, topic, address, ...).
    public let message: String
    /// Trying the same operation again may succeed.
    public let isRetriable: Bool
    /// The client can no longer be used.
    public let isFatal: Bool
    /// librdkafka's symbolic error name (`UNKNOWN_TOPIC_OR_PART`, `_MSG_TIMED_OUT`, ...), when one applies.
    public let rdKafkaName: String?

    public init(
        code: Code,
        message: String,
        isRetriable: Bool = false,
        isFatal: Bool = false,
        rdKafkaName: String? = nil
    ) {
        self.code = code
        self.message = message
        self.isRetriable = isRetriable
        self.isFatal = isFatal
        self.rdKafkaName = rdKafkaName
    }

    public var description: String {
        var text = "\(code): \(message)"
        if let rdKafkaName { text += " [\(rdKafkaName)]" }
        return text
    }

    public static func closed(_ what: String) -> KafkaError {
        KafkaError(code: .closed, message: "\(what) is closed")
    }

    static func invalidArgument(_ message: String) -> KafkaError {
        KafkaError(code: .invalidArgument, message: message)
    }
}
