public import Common
import Foundation
public import Kafka
public import Logging
public import Router
public import Signals
public import WorkerRuntime

/// The router as a ``WorkerHandler``: client requests from `llm.router.requests` and retryable
/// errors agents hand back on `llm.errors`, each decided by the pure ``RequestRouter`` and sent
/// on — to the chosen provider's topic, or as a final error to the client.
///
/// Every decision is journaled (`llm.router.journal`, keyed request_id/attempt) before it is
/// published, so a redelivered or resent message — a router killed after forwarding and before
/// committing, a client sending the same request id again — is sent exactly where the first
/// decision sent it, and the agent there recognises it: one provider call per attempt. A retry
/// that must wait (backoff, a provider's `retry_after`) is an output with a due time: short waits
/// are held in memory outside the in-flight bound, long ones in the delay topic, so neither the
/// reader nor the committed offset waits for them.
public final class RouterHandler: WorkerHandler, Sendable {
    let configuration: LLMRouterConfiguration
    let logger: Logger
    let decoder: SignalDecoder
    let router: RequestRouter
    let state: RouterState
    private let started: StartSignal
    /// The status topic, read whole before the first request, then followed.
    let statusFollower: TopicFollower

    public init(configuration: LLMRouterConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        decoder = SignalDecoder(maxBytes: configuration.maxMessageBytes)
        router = RequestRouter(
            policy: RoutingPolicy(configuration.routing), settings: configuration.reroute, source: configuration.source)
        state = RouterState(
            RouterState.Value(
                registry: ProviderRegistry(staleAfterMissedIntervals: configuration.staleAfterMissedIntervals)))
        started = StartSignal()
        statusFollower = TopicFollower(
            topic: configuration.statusTopic,
            configuration: configuration.readerConfiguration(
                purpose: "status", minimumFetchWait: WorkerKafkaClients.followerFetchWait),
            connectTimeout: configuration.connectTimeout, logger: logger
        )
    }

    // MARK: WorkerHandler

    public func prepare(_ worker: WorkerContext) async throws {
        try await readStatusTopic(worker)
        started.fire()
    }

    public func companions(_ worker: WorkerContext) -> [@Sendable () async -> Void] {
        [{ await self.followStatusTopic(worker) }, { await self.pruneRegistry() }]
    }

    public func handle(_ message: WorkerMessage, _ worker: any WorkerIO) {
        let isRequest = message.kafka.topic == configuration.routerRequestTopic
        let envelope: SignalEnvelope
        do {
            envelope = try decoder.decode(message.kafka.value)
        } catch {
            // On llm.errors an unreadable message is not ours to judge (agents answer their own).
            guard isRequest else {
                worker.finish(message)
                return
            }
            reject(message, error, worker)
            return
        }
        if !isRequest {
            // Only errors handed back (carrying their request) are for routers.
            guard case .providerError(let error) = envelope.signal, let request = error.request else {
                worker.finish(message)
                return
            }
            decide(
                JournalKey(requestID: error.requestID, attempt: request.effectiveAttempt + 1), message,
                replyTo: request.route?.replyTo ?? request.replyTo, worker
            ) { registry, random in
                self.router.reroute(error, wallNow: Date(), registry: registry, at: .now, using: &random)
            }
            return
        }
        let replyTo = message.kafka.header(SignalHeader.replyTo)?.stringValue
        let enqueuedAt = message.timestampMs.map { Date(timeIntervalSince1970: Double($0) / 1000) }
        switch envelope.signal {
        case .providerRequest(let request), .visionRequest(let request), .streamRequest(let request):
            let streaming = envelope.type == .streamRequest
            decide(
                JournalKey(requestID: request.requestID, attempt: 1), message, replyTo: request.replyTo ?? replyTo,
                worker
            ) { registry, random in
                self.router.route(
                    request, streaming: streaming, replyTo: replyTo, enqueuedAt: enqueuedAt, wallNow: Date(),
                    registry: registry,
                    at: .now, using: &random
                )
            }
        default:
            let text =
                """
                signal type '\(envelope.type.rawValue)' is not accepted on \(configuration.routerRequestTopic) \
                (send provider_request, stream_request or vision_request)
                """
            guard let requestID = envelope.signal.requestID else {
                worker.deadLetter(message, code: "notAccepted", reason: text)
                state.withLock { $0.counters.deadLettered += 1 }
                return
            }
            let error = ProviderError(
                requestID: requestID, errorType: .invalidRequest, error: text, retryable: false,
                instance: configuration.source)
            answer(error, replyTo: envelope.signal.replyTo ?? replyTo, message, worker)
        }
    }

    // MARK: Deciding

    /// Journal first: a decision made before (this message redelivered, or resent) is published
    /// again, to the reply topic this copy names (`replyTo`: a client retrying from another
    /// gateway or client instance reads another topic than the first try's); else `decision`
    /// decides, and its output is journaled, then published.
    private func decide(
        _ key: JournalKey, _ message: WorkerMessage, replyTo: String?, _ worker: any WorkerIO,
        _ decision: @escaping @Sendable (ProviderRegistry, inout SplitMix64) -> RequestRouter.Decision?
    ) {
        worker.claim(key, for: message) { claim in
            switch claim {
            case .abandoned:
                worker.abandon(message)
            case .replay(let outputs):
                self.state.withLock { $0.counters.replayed += 1 }
                worker.publish(self.retarget(outputs, replyTo: replyTo), for: message, fallback: nil)
            case .claimed:
                let registry = self.state.withLock { $0.registry }
                // Seeded by the request: the same request and registry give the same order.
                var random = SplitMix64(seed: key.hash)
                guard let decided = decision(registry, &random) else {
                    worker.release(key, for: message)
                    worker.finish(message)
                    return
                }
                let (outputs, fallback) = self.outputs(for: decided, worker)
                worker.record(key, outputs: outputs, for: message, fallback: fallback)
            }
        }
    }

    /// Recorded outputs readdressed to `replyTo`: a forward carries it as the request's and the
    /// route's reply topic (the agent answers there, or from its ledger when it already did), a
    /// final error goes there. Outputs already addressed there, and everything else, stay as they
    /// were.
    func retarget(_ outputs: [KafkaProducerMessage], replyTo: String?) -> [KafkaProducerMessage] {
        guard let replyTo else { return outputs }
        return outputs.map { output in
            guard let envelope = try? decoder.decode(output.value) else { return output }
            switch envelope.signal {
            case .providerRequest(var request), .streamRequest(var request), .visionRequest(var request):
                guard request.replyTo != replyTo || (request.route.map { $0.replyTo != replyTo } ?? false) else {
                    return output
                }
                request.replyTo = replyTo
                request.route?.replyTo = replyTo
                let signal: Signal =
                    switch envelope.signal {
                    case .streamRequest: .streamRequest(request)
                    case .visionRequest: .visionRequest(request)
                    default: .providerRequest(request)
                    }
                var readdressed = envelope
                readdressed.signal = signal
                guard let value = try? readdressed.encoded() else { return output }
                var copy = output
                copy.value = value
                copy.headers = output.headers.map {
                    $0.key == SignalHeader.replyTo ? KafkaHeader(key: $0.key, value: Array(replyTo.utf8)) : $0
                }
                return copy
            case .providerError where output.topic != configuration.errorTopic && output.topic != replyTo:
                var copy = output
                copy.topic = replyTo
                copy.partition = nil
                return copy
            default:
                return output
            }
        }
    }

    /// What a decision publishes, and what to publish instead when its target refuses it.
    private func outputs(for decision: RequestRouter.Decision, _ worker: any WorkerIO) -> (
        [KafkaProducerMessage], WorkerContext.Fallback?
    ) {
        switch decision {
        case .forward(let provider, let request, let delay):
            let signal: Signal = request.stream == true ? .streamRequest(request) : .providerRequest(request)
            var forward = Self.message(
                signal, to: configuration.requestTopic(of: provider), key: request.partitionKey ?? request.requestID,
                source: configuration.source
            )
            if delay > .zero {
                forward.headers.append(
                    KafkaHeader(key: DelayTopic.Header.dueMs, value: "\(worker.nowMs + delay.wholeMilliseconds)"))
            }
            state.withLock { state in
                if request.effectiveAttempt == 1 { state.counters.routed += 1 } else { state.counters.rerouted += 1 }
                if delay > configuration.shortWaitLimit { state.counters.delayed += 1 }
                state.counters.forwardsByProvider[provider, default: 0] += 1
                state.registry.recordForward(to: provider, at: .now)
            }
            logger.debug(
                "request forwarded",
                metadata: [
                    LogKey.requestID: "\(request.requestID)", LogKey.provider: "\(provider)",
                    LogKey.attempt: "\(request.effectiveAttempt)",
                ])
            let topic = forward.topic
            let fallback: WorkerContext.Fallback = { outcome in
                var final = ProviderError(
                    requestID: request.requestID, errorType: .modelUnavailable,
                    error:
                        """
                        provider '\(provider)' cannot take requests: its topic '\(topic)' refused the message \
                        (\(outcome.reason))
                        """,
                    retryable: !(outcome.isRejected), provider: provider, model: request.model,
                    attempt: request.attempt,
                    instance: self.configuration.source, metadata: request.metadata
                )
                final.route = request.route
                return [self.finalMessage(final, replyTo: request.route?.replyTo)]
            }
            return ([forward], fallback)
        case .fail(let error, let replyTo):
            state.withLock { $0.counters.failed += 1 }
            return ([finalMessage(error, replyTo: replyTo)], errorTopicFallback(error))
        }
    }

    /// A final error to the client's reply topic (the error topic when it has none).
    private func finalMessage(_ error: ProviderError, replyTo: String?) -> KafkaProducerMessage {
        Self.message(
            .providerError(error), to: replyTo ?? configuration.errorTopic, key: error.requestID,
            source: configuration.source)
    }

    /// When the client's reply topic refuses a final error for good: the error topic, saying so.
    private func errorTopicFallback(_ error: ProviderError) -> WorkerContext.Fallback {
        { outcome in
            var replacement = error
            replacement.error = "\(error.error) (the reply topic refused this answer: \(outcome.reason))"
            return [
                Self.message(
                    .providerError(replacement), to: self.configuration.errorTopic, key: error.requestID,
                    source: self.configuration.source)
            ]
        }
    }

    private func answer(_ error: ProviderError, replyTo: String?, _ message: WorkerMessage, _ worker: any WorkerIO) {
        state.withLock { $0.counters.failed += 1 }
        worker.publish([finalMessage(error, replyTo: replyTo)], for: message, fallback: errorTopicFallback(error))
    }

    /// A message that could not be decoded: `invalid_request` at the client's reply topic when
    /// its request id is readable (from the value, or a valid UTF-8 `request-id` header), else
    /// the dead-letter topic.
    private func reject(_ message: WorkerMessage, _ error: any Error, _ worker: any WorkerIO) {
        let decodingError = error as? SignalDecodingError
        let reason = decodingError?.description ?? "\(error)"
        let header = message.kafka.header(SignalHeader.requestID)
        let headerID = header?.value.flatMap { String(validating: $0, as: UTF8.self) }
        guard let requestID = decodingError?.requestID ?? headerID, !requestID.isEmpty else {
            state.withLock { $0.counters.deadLettered += 1 }
            worker.deadLetter(
                message, code: header == nil ? decodingError?.code.rawValue ?? "undecodable" : "invalidRequestID",
                reason: reason)
            return
        }
        let signal = ProviderError(
            requestID: requestID, errorType: .invalidRequest, error: decodingError?.message ?? reason, retryable: false,
            field: decodingError.flatMap { $0.path.isEmpty ? nil : $0.path }, instance: configuration.source
        )
        answer(signal, replyTo: message.kafka.header(SignalHeader.replyTo)?.stringValue, message, worker)
    }

    /// A signal as a Kafka message: keyed, with the signal headers.
    public static func message(_ signal: Signal, to topic: String, key: String, source: String) -> KafkaProducerMessage
    {
        let envelope = SignalEnvelope(signal, source: source)
        let value = (try? envelope.encoded()) ?? Array(#"{"type":"provider_error"}"#.utf8)
        return KafkaProducerMessage(
            topic: topic, key: Array(key.utf8), value: value,
            headers: envelope.headers().map { KafkaHeader(key: $0.name, value: $0.value) }
        )
    }

    // MARK: Observing

    /// Returns once the registry is read and the router consumes (immediately if it already does).
    public func waitUntilStarted() async {
        await started.wait()
    }

    /// What this router did so far.
    public var counters: RouterCounters {
        state.withLock { $0.counters }
    }

    /// The providers as this router sees them now.
    public var providers: [ProviderSummary] {
        state.withLock { $0.registry.providers(at: .now) }
    }
}

extension PublishOutcome {
    var isRejected: Bool {
        if case .rejected = self { return true }
        return false
    }
}
