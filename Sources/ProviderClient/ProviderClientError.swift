public import Kafka

/// Why a ``ProviderClient`` operation failed: what kind of failure (``code``), a message naming
/// the request, topic or address at fault, and the Kafka error underneath when there is one.
///
/// A final `provider_error` is not a `ProviderClientError`: it is an answer, returned in
/// ``ProviderCallResult``.
public struct ProviderClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure. Open set of named values; compare with `==`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        init(_ name: String) { self.name = name }
        public var description: String { name }

        /// No final answer arrived within the call's timeout.
        public static let timedOut = Code("timed_out")
        /// The client was shut down (or failed) before the answer arrived, or is shut down.
        public static let shutDown = Code("shut_down")
        /// The task awaiting the answer was cancelled.
        public static let cancelled = Code("cancelled")
        /// The broker could not be reached, or the reply topic could not be created, found or
        /// positioned on, within the connect timeout.
        public static let connectionFailed = Code("connection_failed")
        /// The reply topic stopped being readable (deleted, not authorized, fatal client error).
        public static let replyTopicLost = Code("reply_topic_lost")
        /// The request could not be published (missing topic, delivery timeout, too large, ...).
        public static let sendFailed = Code("send_failed")
        /// The request cannot be sent as given (another reply topic, not encodable).
        public static let invalidRequest = Code("invalid_request")
        /// A request with this id is already waiting for its answer in this client.
        public static let duplicateRequest = Code("duplicate_request")
        /// No request with this id was sent by this client, or its answer was already taken.
        public static let unknownRequest = Code("unknown_request")
        /// Another task is already awaiting this request's answer.
        public static let alreadyAwaited = Code("already_awaited")
        /// The configuration is not valid (or librdkafka refused a property).
        public static let invalidConfiguration = Code("invalid_configuration")
    }

    public let code: Code
    /// Human-readable; names the request id, topics or address involved.
    public let message: String
    /// The request concerned, when there is one.
    public let requestID: String?
    /// The Kafka error underneath, when there is one.
    public let kafkaError: KafkaError?

    public init(code: Code, message: String, requestID: String? = nil, kafkaError: KafkaError? = nil) {
        self.code = code
        self.message = message
        self.requestID = requestID
        self.kafkaError = kafkaError
    }

    public var description: String { "\(code): \(message)" }
}

extension Duration {
    /// `2 s`, `1.5 s`, `250 ms`: for messages.
    var spoken: String {
        let (seconds, attoseconds) = components
        let milliseconds = Double(seconds) * 1_000 + Double(attoseconds) / 1e15
        if milliseconds < 1_000 { return "\(Int(milliseconds.rounded())) ms" }
        let tenths = (milliseconds / 100).rounded()
        return tenths.truncatingRemainder(dividingBy: 10) == 0 ? "\(Int(tenths / 10)) s" : "\(tenths / 10) s"
    }
}
