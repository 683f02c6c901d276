import AgentCore
import Kafka
import Signals

extension ProviderAgent {
    /// The `provider_error` for a failed or refused request. A retryable error of a routed request
    /// (one with a route context) goes back to the routers on the error topic, carrying the
    /// request, so that any router can send the next attempt; so does `context_length_exceeded`
    /// (not retryable on this model, but a router may send it to a larger one). Every other
    /// error is final and goes to the reply topic, echoing the route.
    @inline(never)
    func errorAnswer(_ error: ProviderCallError, request: ProviderRequest, model: String?, replyTo: String?,
                     reroutable: Bool = true) -> KafkaProducerMessage {
        var signal = ProviderError(
            requestID: request.requestID, errorType: error.type, error: error.message, retryable: error.retryable,
            retryAfterMs: error.retryAfter.map { Int(saturating: $0.milliseconds.rounded(.up)) }, provider: configuration.provider,
            model: model, attempt: request.attempt, instance: configuration.instanceID, metadata: request.metadata
        )
        if request.route != nil, error.retryable || error.type == .contextLengthExceeded, reroutable {
            signal.request = request
            return answer(.providerError(signal), to: configuration.errorTopic, key: request.requestID)
        }
        signal.route = request.route
        return answer(.providerError(signal), to: replyTo ?? configuration.errorTopic, key: request.requestID)
    }

    /// A message that could not be decoded: `invalid_request` when its request id is readable
    /// (from the value or the `request-id` header), else the raw message to the dead-letter topic.
    @inline(never)
    func reject(_ message: KafkaConsumerMessage, _ error: any Error) -> KafkaProducerMessage {
        let decodingError = error as? SignalDecodingError
        let reason = decodingError?.description ?? "\(error)"
        let requestID = decodingError?.requestID ?? message.header(SignalHeader.requestID)?.stringValue
        guard let requestID, !requestID.isEmpty else { return deadLetter(message, reason: reason) }
        let signal = ProviderError(
            requestID: requestID, errorType: .invalidRequest, error: decodingError?.message ?? reason, retryable: false,
            provider: configuration.provider, field: decodingError.flatMap { $0.path.isEmpty ? nil : $0.path },
            instance: configuration.instanceID
        )
        let replyTo = message.header(SignalHeader.replyTo)?.stringValue
        return answer(.providerError(signal), to: replyTo ?? configuration.errorTopic, key: requestID)
    }

    func deadLetter(_ message: KafkaConsumerMessage, reason: String) -> KafkaProducerMessage {
        logger.info("message dead-lettered", metadata: [
            "kafka.topic": "\(message.topic)", "kafka.partition": "\(message.partition)", "kafka.offset": "\(message.offset)", "agent.reason": "\(reason)",
        ])
        return KafkaProducerMessage(
            topic: configuration.deadLetterTopic, key: message.key, value: message.value,
            headers: message.headers + [
                KafkaHeader(key: "dlq-reason", value: reason),
                KafkaHeader(key: "dlq-source", value: "\(message.topic)/\(message.partition)/\(message.offset)"),
                KafkaHeader(key: "dlq-agent", value: source),
            ]
        )
    }

    @inline(never)
    func answer(_ signal: Signal, to topic: String, key: String?) -> KafkaProducerMessage {
        let envelope = SignalEnvelope(signal, source: source)
        let value = (try? envelope.encoded()) ?? Array(#"{"type":"provider_error"}"#.utf8)
        return KafkaProducerMessage(
            topic: topic, key: key.map { Array($0.utf8) }, value: value,
            headers: envelope.headers().map { KafkaHeader(key: $0.name, value: $0.value) }
        )
    }
}
