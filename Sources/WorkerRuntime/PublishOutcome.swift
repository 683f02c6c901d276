public import Kafka

/// What became of a group of messages handed to the ``Outbox``.
public enum PublishOutcome: Sendable {
    /// Every message was acknowledged, in the order given.
    case published([KafkaDeliveryReceipt])
    /// The broker refused the message at `index` for good (unknown or invalid topic, not
    /// authorized, too large): no retry can help. The others may have been written.
    case rejected(KafkaError, index: Int)
    /// The deadline passed while a message still failed with errors that retrying might fix
    /// (the last such error, when there was one).
    case expired(KafkaError?)
    /// The worker stopped (the producer closed) before every message was written.
    case closed

    /// Whether every message was written.
    public var isPublished: Bool {
        if case .published = self { return true }
        return false
    }
}
