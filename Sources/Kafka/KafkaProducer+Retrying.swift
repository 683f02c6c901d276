import Common
public import Logging

/// What became of a message sent with ``KafkaProducer/sendRetrying(_:logger:)``.
public enum KafkaPublishOutcome: Sendable, Equatable {
    case published
    /// Shutdown (task cancelled or producer closed): the caller abandons what the message answered.
    case givenUp
    /// An error no retry can fix (unknown or invalid topic, not authorized, too large).
    case rejected(KafkaError)
}

extension KafkaError {
    /// Whether retrying the same message cannot fix this error.
    public var isPermanentForMessage: Bool {
        [.unknownTopic, .invalidArgument, .messageTooLarge, .notAuthorized, .invalidConfiguration].contains(code)
    }
}

extension KafkaProducer {
    /// Publishes one message and awaits its acknowledgement; transient failures are retried with
    /// backoff (100 ms → 5 s) until it succeeds, fails for good, or the task is cancelled or the
    /// producer closed. Used by every component that stores a consumed offset only after what
    /// the message caused is published (agents, routers).
    public func sendRetrying(_ message: KafkaProducerMessage, logger: Logger) async -> KafkaPublishOutcome {
        var backoff = Duration.milliseconds(100)
        while true {
            do {
                try await send(message)
                return .published
            } catch {
                if error.code == .closed || Task.isCancelled { return .givenUp }
                if error.isPermanentForMessage {
                    logger.info(
                        "message rejected by the broker",
                        metadata: [LogKey.topic: "\(message.topic)", LogKey.error: "\(error)"])
                    return .rejected(error)
                }
                logger.warning(
                    "publish failed, retrying", metadata: [LogKey.topic: "\(message.topic)", LogKey.error: "\(error)"])
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(5))
            }
        }
    }
}
