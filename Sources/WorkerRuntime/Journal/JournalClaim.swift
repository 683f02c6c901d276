public import Kafka

/// What the journal says when a message asks to handle a journaled request
/// (``Journal/claim(_:input:messageTimestampMs:_:)``).
public enum JournalClaim: Sendable {
    /// This message handles it: nothing was recorded, or only `started` (`recall`: the call may
    /// have reached the provider before, under a worker that stopped; count it). The message
    /// must end with ``Journal/record(_:outputs:requestOffset:input:_:)`` or
    /// ``Journal/release(_:input:)``; later copies wait for it meanwhile.
    case claimed(recall: Bool)
    /// It was done before (or by a copy in flight here that just finished): publish these, the
    /// recorded outputs, byte for byte.
    case replay([KafkaProducerMessage])
    /// The partition is no longer owned (revoked while the message waited): drop the message
    /// without storing its offset.
    case abandoned
}
