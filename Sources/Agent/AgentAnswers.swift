import Kafka
import Signals
import WorkerRuntime

/// How the agent's signals become Kafka messages, and where they go: an answer to the request's
/// `reply_to` (or `reply-to` header), else `llm.responses` for answers and `llm.errors` for
/// errors; keyed by the request id; with the signal headers.
struct AgentAnswers: Sendable {
    let source: String
    let responseTopic: String
    let errorTopic: String
    let controlTopic: String

    /// A signal as a message to `topic`.
    func message(_ signal: Signal, to topic: String, key: String?) -> KafkaProducerMessage {
        let envelope = SignalEnvelope(signal, source: source)
        let value = (try? envelope.encoded()) ?? Array(#"{"type":"provider_error"}"#.utf8)
        return KafkaProducerMessage(
            topic: topic, key: key.map { Array($0.utf8) }, value: value,
            headers: envelope.headers().map { KafkaHeader(key: $0.name, value: $0.value) }
        )
    }

    /// The reply topic a signal read from `message` names: its `reply_to`, else the header.
    static func replyTo(_ signal: Signal?, in message: KafkaConsumerMessage) -> String? {
        signal?.replyTo ?? message.header(SignalHeader.replyTo)?.stringValue
    }

    /// An answer (`provider_response`, a result signal) for `replyTo`, else the response topic.
    func answer(_ signal: Signal, replyTo: String?, key: String?) -> KafkaProducerMessage {
        message(signal, to: replyTo ?? responseTopic, key: key)
    }

    /// An error for `replyTo`, else the error topic.
    func error(_ error: ProviderError, replyTo: String?) -> KafkaProducerMessage {
        message(.providerError(error), to: replyTo ?? errorTopic, key: error.requestID)
    }

    /// What to publish instead when the broker refused an answer for good (a `reply_to` topic
    /// that does not exist or may not be written, an answer too large): a `provider_error` on
    /// the error topic naming the problem. `nil` when the refused answer was already there.
    func fallback(for answer: KafkaProducerMessage, requestID: String, provider: String, instance: String)
        -> WorkerContext.Fallback
    {
        { outcome in
            guard case .rejected(let error, _) = outcome, answer.topic != errorTopic || error.code == .messageTooLarge
            else {
                if case .expired = outcome, answer.topic != errorTopic {
                    let signal = ProviderError(
                        requestID: requestID, errorType: .providerError,
                        error: "the answer could not be published to '\(answer.topic)' within the publish timeout",
                        retryable: true,
                        provider: provider, instance: instance
                    )
                    return [message(.providerError(signal), to: errorTopic, key: requestID)]
                }
                return nil
            }
            let tooLarge = error.code == .messageTooLarge
            let text =
                tooLarge
                ? """
                the answer (\(answer.value.count) bytes) is too large to publish to '\(answer.topic)': \
                \(error.message)
                """
                : "the answer could not be published to '\(answer.topic)' (the request's reply_to): \(error.message)"
            let signal = ProviderError(
                requestID: requestID, errorType: tooLarge ? .providerError : .invalidRequest, error: text,
                retryable: false,
                provider: provider, instance: instance
            )
            return [message(.providerError(signal), to: errorTopic, key: requestID)]
        }
    }
}
