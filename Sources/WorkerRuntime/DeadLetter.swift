public import Kafka

/// A message no worker could answer, as it goes to the dead-letter topic (`llm.dlq`): the
/// original key, value and headers, byte for byte, plus four headers that say why.
public enum DeadLetter {
    /// The headers a dead letter carries besides the original ones.
    public enum Header {
        /// Machine-readable reason: a decoding error code (`invalidJSON`, `oversize`, ...) or
        /// one of the worker's own (`notAccepted`, `invalidRequestID`, `unanswerable`, `invalidDelay`).
        public static let code = "dlq-code"
        /// The reason in words, naming the field or the problem.
        public static let reason = "dlq-reason"
        /// Where the message was read: `<topic>/<partition>/<offset>`.
        public static let source = "dlq-source"
        /// The worker that gave up on it: `agent/<provider>/<instance>`, `router/<instance>`.
        public static let worker = "dlq-worker"
        /// Set when the value had to be cut to fit: `first <n> of <m> bytes`.
        public static let truncated = "dlq-truncated"

        /// Every header a dead letter may carry, in this order.
        public static let all = [code, reason, source, worker, truncated]
    }

    /// The dead letter of `message`.
    public static func message(
        for message: KafkaConsumerMessage, code: String, reason: String, worker: String, topic: String
    ) -> KafkaProducerMessage {
        KafkaProducerMessage(
            topic: topic, key: message.key, value: message.value,
            headers: message.headers + [
                KafkaHeader(key: Header.code, value: code),
                KafkaHeader(key: Header.reason, value: reason),
                KafkaHeader(key: Header.source, value: "\(message.topic)/\(message.partition)/\(message.offset)"),
                KafkaHeader(key: Header.worker, value: worker),
            ]
        )
    }

    /// `letter` cut to its first `kept` bytes, for a dead-letter topic that refused it as too large.
    public static func truncated(_ letter: KafkaProducerMessage, keeping kept: Int = 64 * 1024) -> KafkaProducerMessage
    {
        var cut = letter
        cut.value = Array(letter.value.prefix(kept))
        cut.headers.append(KafkaHeader(key: Header.truncated, value: "first \(kept) of \(letter.value.count) bytes"))
        return cut
    }
}
