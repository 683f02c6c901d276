public import AgentCore
import Foundation
public import Kafka
public import Logging
public import ServiceLifecycle
import Signals
import Synchronization

/// A provider agent: consumes `llm.requests.<provider>` in group `llm-provider-<provider>` and
/// answers every message. Per message (``process(_:)``): decode → admit → call → publish → store
/// the offset, many messages concurrently, offsets stored only for the contiguous answered prefix
/// of each partition. At `maxInFlight` fetching pauses; below it, it resumes.
///
/// Work in progress (issue 3): the ledger, the control topic, periodic status publishing and the
/// cluster share of the rate limit are not wired in yet.
public final class ProviderAgent: Service, Sendable {
    private let configuration: ProviderAgentConfiguration
    private let provider: any LLMProvider
    private let logger: Logger
    private let consumer: KafkaConsumer
    private let producer: KafkaProducer
    private let decoder: SignalDecoder
    private let state: AgentState
    private let source: String
    private let readerTask = Mutex<Task<Void, Never>?>(nil)

    public init(configuration: ProviderAgentConfiguration, provider: any LLMProvider, logger: Logger) throws(KafkaError) {
        self.configuration = configuration
        self.provider = provider
        self.logger = logger
        self.decoder = SignalDecoder(maxBytes: configuration.maxMessageBytes)
        self.source = "agent/\(configuration.provider)/\(configuration.instanceID)"
        let state = AgentState(AgentState.Value(
            admission: AdmissionController(
                rateLimiter: RateLimiter(policy: configuration.rateLimit),
                breaker: CircuitBreaker(policy: configuration.breaker),
                concurrency: ConcurrencyLimiter(limit: configuration.maxConcurrentCalls),
                models: configuration.models,
                defaultModel: configuration.defaultModel
            ),
            metrics: ProviderMetrics(prices: configuration.prices)
        ))
        self.state = state
        producer = try KafkaProducer(configuration: configuration.producerConfiguration, logger: logger)
        consumer = try KafkaConsumer(
            configuration: configuration.consumerConfiguration,
            logger: logger,
            onRebalance: { event in
                // Revoked or lost partitions: their in-flight answers still go out, but nothing
                // more is stored for them (the next owner re-reads from the committed offset).
                // The rate-limit share follows the partitions owned.
                state.withLock { state in
                    switch event {
                    case .revoked(let partitions), .lost(let partitions):
                        state.offsets.revoke(partitions)
                        state.owned.subtract(partitions)
                    case .assigned(let partitions):
                        state.owned.formUnion(partitions)
                    }
                    state.updateShare()
                }
            }
        )
    }

    /// Consumes until graceful shutdown (or ``shutdown()``): then stops fetching, lets every
    /// message already fetched finish (answered, offset stored), commits, leaves the group, and
    /// flushes the producer last.
    public func run() async throws {
        // The topic's partition count divides the provider-wide limits; a missing topic stops here.
        let partitions = try await consumer.metadata().partitionCount(of: configuration.requestTopic)
        state.withLock { state in
            state.topicPartitions = partitions
            state.updateShare()
        }
        try consumer.subscribe(topics: [configuration.requestTopic])
        logger.info("agent started", metadata: ["agent.provider": "\(configuration.provider)", "agent.instance": "\(configuration.instanceID)"])
        // A separate reading task, so fetching can stop while in-flight work goes on.
        let (fetched, continuation) = AsyncStream<KafkaConsumerMessage>.makeStream()
        let reader = Task { [consumer, logger] in
            do {
                for try await message in consumer.messages {
                    // Counted as it is fetched, so fetching pauses at the bound.
                    self.enterFlight(message)
                    continuation.yield(message)
                }
            } catch {
                logger.info("agent stopped reading", metadata: ["kafka.error": "\(error)"])
            }
            continuation.finish()
        }
        readerTask.withLock { $0 = reader }
        let statusLoop = Task {
            while !Task.isCancelled {
                await self.publishStatus()
                try? await Task.sleep(for: self.configuration.statusInterval)
            }
        }
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                for await message in fetched {
                    group.addTask { await self.process(message) }
                }
            }
        } onGracefulShutdown: {
            self.stopFetching()
        }
        // Everything fetched is answered and its offset stored.
        statusLoop.cancel()
        try? await consumer.commit()
        try? await consumer.close()
        await publishStatus(health: "stopped")
        await producer.close()
        logger.info("agent stopped", metadata: ["agent.provider": "\(configuration.provider)"])
    }

    /// Stops the agent like a graceful shutdown (for use outside a `ServiceGroup`).
    public func shutdown() {
        stopFetching()
    }

    private func stopFetching() {
        state.withLock { $0.paused = true }
        try? consumer.pause(consumer.assignment)
        readerTask.withLock { $0?.cancel() }
    }

    // MARK: The request path

    /// decode → admit → call → publish → store offset, for one message.
    func process(_ message: KafkaConsumerMessage) async {
        let answers: [KafkaProducerMessage]
        do {
            let envelope = try decoder.decode(message.value)
            answers = await handle(envelope, from: message)
        } catch {
            answers = [reject(message, error)]
        }
        guard await publish(answers) else {
            leaveFlight(message, completed: false)
            return
        }
        leaveFlight(message, completed: true)
    }

    private func handle(_ envelope: SignalEnvelope, from message: KafkaConsumerMessage) async -> [KafkaProducerMessage] {
        switch envelope.signal {
        case .providerRequest(let request), .visionRequest(let request):
            return [await call(request, message: message)]
        case .streamRequest(let request):
            return await stream(request, message: message)
        case .featureCheck(let check):
            let supported = provider.supportedFeatures.contains(ProviderFeature(rawValue: check.feature))
            let result = FeatureCheckResult(feature: check.feature, supported: supported, provider: configuration.provider, requestID: check.requestID)
            return [answer(.featureCheckResult(result), to: check.replyTo ?? message.header(SignalHeader.replyTo)?.stringValue ?? configuration.responseTopic, key: check.requestID)]
        case .getProviderStatus(let query):
            let status = statusSignal(requestID: query?.requestID)
            return [answer(.providerStatus(status), to: query?.replyTo ?? message.header(SignalHeader.replyTo)?.stringValue ?? configuration.responseTopic, key: query?.requestID)]
        default:
            let text = "signal type '\(envelope.type.rawValue)' is not accepted on \(configuration.requestTopic)"
            guard let requestID = envelope.signal.requestID else {
                return [deadLetter(message, reason: text)]
            }
            let error = ProviderError(requestID: requestID, errorType: .invalidRequest, error: text, retryable: false, provider: configuration.provider, instance: configuration.instanceID)
            return [answer(.providerError(error), to: configuration.errorTopic, key: requestID)]
        }
    }

    private enum Admission {
        case admitted(AdmissionController.Ticket)
        /// The `provider_error` answer for a refused request.
        case refused(KafkaProducerMessage)
    }

    /// The admission checks for one request; a refusal is counted in the metrics and answered at
    /// once, an admitted request enters the in-flight table.
    private func admit(_ request: ProviderRequest, message: KafkaConsumerMessage, replyTo: String?) -> Admission {
        let enqueuedAt = message.timestampMilliseconds.map { Date(timeIntervalSince1970: Double($0) / 1000) }
        let now = ContinuousClock.now
        let decision = state.withLock { state -> AdmissionController.Decision in
            let decision = state.admission.admit(request, enqueuedAt: enqueuedAt, wallNow: Date(), at: now)
            switch decision {
            case .admitted(let ticket):
                _ = state.tracker.begin(requestID: request.requestID, model: ticket.model, at: now)
            case .rejected(let rejection):
                state.metrics.record(.init(model: request.model ?? "", succeeded: false, errorType: rejection.type.rawValue))
            }
            return decision
        }
        switch decision {
        case .admitted(let ticket): return .admitted(ticket)
        case .rejected(let rejection): return .refused(errorAnswer(rejection, request: request, model: request.model, replyTo: replyTo))
        }
    }

    /// Where a request's answers go: its `reply_to`, else the `reply-to` header (else the defaults).
    private func replyTo(of request: ProviderRequest, in message: KafkaConsumerMessage) -> String? {
        request.replyTo ?? message.header(SignalHeader.replyTo)?.stringValue
    }

    /// Admission, then the provider call; the answer is a response or a classified error.
    private func call(_ request: ProviderRequest, message: KafkaConsumerMessage) async -> KafkaProducerMessage {
        let replyTo = replyTo(of: request, in: message)
        let ticket: AdmissionController.Ticket
        switch admit(request, message: message, replyTo: replyTo) {
        case .admitted(let admitted): ticket = admitted
        case .refused(let answer): return answer
        }
        let started = ContinuousClock.now
        var routed = request
        routed.model = ticket.model
        let result: Result<Completion, ProviderCallError>
        do {
            result = .success(try await provider.complete(routed))
        } catch {
            result = .failure(error)
        }
        let latency = ContinuousClock.now - started
        return finish(request, ticket: ticket, result: result, latency: latency, replyTo: replyTo)
    }

    /// A streamed call: one `stream_chunk` per delta (keyed by request id, so they stay in order),
    /// then the final response.
    private func stream(_ request: ProviderRequest, message: KafkaConsumerMessage) async -> [KafkaProducerMessage] {
        let replyTo = replyTo(of: request, in: message)
        let ticket: AdmissionController.Ticket
        switch admit(request, message: message, replyTo: replyTo) {
        case .admitted(let admitted): ticket = admitted
        case .refused(let answer): return [answer]
        }
        let started = ContinuousClock.now
        var routed = request
        routed.model = ticket.model
        var chunks: [KafkaProducerMessage] = []
        var completion: Completion?
        var failure: ProviderCallError?
        do {
            for try await event in provider.stream(routed) {
                switch event {
                case .delta(let text):
                    let chunk = StreamChunk(requestID: request.requestID, index: chunks.count, delta: text, provider: configuration.provider, model: ticket.model)
                    chunks.append(answer(.streamChunk(chunk), to: replyTo ?? configuration.responseTopic, key: request.requestID))
                case .finished(let finished):
                    completion = finished
                }
            }
        } catch let error as ProviderCallError {
            failure = error
        } catch {
            failure = ProviderCallError(type: .providerError, message: "stream failed: \(error)", retryable: true, breakerKind: .other)
        }
        let result: Result<Completion, ProviderCallError> = completion.map { .success($0) }
            ?? .failure(failure ?? ProviderCallError(type: .providerError, message: "stream ended without a final completion", retryable: true, breakerKind: .other))
        return chunks + [finish(request, ticket: ticket, result: result, latency: ContinuousClock.now - started, replyTo: replyTo)]
    }

    private func finish(
        _ request: ProviderRequest, ticket: AdmissionController.Ticket, result: Result<Completion, ProviderCallError>,
        latency: Duration, replyTo: String?
    ) -> KafkaProducerMessage {
        let now = ContinuousClock.now
        switch result {
        case .success(let completion):
            let (cost, transitioned) = state.withLock { state -> (Double, Bool) in
                let before = state.admission.breaker.transitions.count
                state.admission.finish(ticket, outcome: .success, at: now)
                state.tracker.finish(requestID: request.requestID)
                state.metrics.record(.init(
                    model: completion.model, succeeded: true, latency: latency,
                    promptTokens: completion.usage.promptTokens, completionTokens: completion.usage.completionTokens
                ))
                let cost = state.metrics.prices.cost(model: completion.model, promptTokens: completion.usage.promptTokens, completionTokens: completion.usage.completionTokens)
                return (cost, state.admission.breaker.transitions.count != before)
            }
            if transitioned { Task { await self.publishStatus() } }
            let response = ProviderResponse(
                requestID: request.requestID, response: completion.content, provider: configuration.provider,
                model: completion.model, latencyMs: latency.milliseconds, usage: completion.usage,
                finishReason: completion.finishReason, toolCalls: completion.toolCalls, costUSD: cost,
                instance: configuration.instanceID
            )
            return answer(.providerResponse(response), to: replyTo ?? configuration.responseTopic, key: request.requestID)
        case .failure(let error):
            let transitioned = state.withLock { state -> Bool in
                let before = state.admission.breaker.transitions.count
                state.admission.finish(ticket, outcome: error.breakerKind.map { .failure($0) }, at: now)
                state.tracker.finish(requestID: request.requestID)
                state.metrics.record(.init(model: ticket.model, succeeded: false, errorType: error.type.rawValue, latency: latency))
                return state.admission.breaker.transitions.count != before
            }
            if transitioned { Task { await self.publishStatus() } }
            return errorAnswer(error, request: request, model: ticket.model, replyTo: replyTo)
        }
    }

    // MARK: Answers

    private func errorAnswer(_ error: ProviderCallError, request: ProviderRequest, model: String?, replyTo: String?) -> KafkaProducerMessage {
        let signal = ProviderError(
            requestID: request.requestID, errorType: error.type, error: error.message, retryable: error.retryable,
            retryAfterMs: error.retryAfter.map { Int($0.milliseconds.rounded(.up)) }, provider: configuration.provider,
            model: model, instance: configuration.instanceID
        )
        return answer(.providerError(signal), to: replyTo ?? configuration.errorTopic, key: request.requestID)
    }

    /// A message that could not be decoded: `invalid_request` when its request id is readable
    /// (from the value or the `request-id` header), else the raw message to the dead-letter topic.
    private func reject(_ message: KafkaConsumerMessage, _ error: any Error) -> KafkaProducerMessage {
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

    private func deadLetter(_ message: KafkaConsumerMessage, reason: String) -> KafkaProducerMessage {
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

    private func answer(_ signal: Signal, to topic: String, key: String?) -> KafkaProducerMessage {
        let envelope = SignalEnvelope(signal, source: source)
        let value = (try? envelope.encoded()) ?? Array(#"{"type":"provider_error"}"#.utf8)
        return KafkaProducerMessage(
            topic: topic, key: key.map { Array($0.utf8) }, value: value,
            headers: envelope.headers().map { KafkaHeader(key: $0.name, value: $0.value) }
        )
    }

    /// Publishes this instance's `provider_status` to the status topic (keyed provider/instance).
    private func publishStatus(health: String? = nil) async {
        var status = statusSignal(requestID: nil)
        if let health { status.status = health }
        let message = answer(.providerStatus(status), to: configuration.statusTopic, key: configuration.statusKey)
        do {
            try await producer.send(message)
        } catch {
            logger.info("status not published", metadata: ["kafka.error": "\(error)"])
        }
    }

    private func statusSignal(requestID: String?) -> ProviderStatus {
        state.withLock { state in
            let now = ContinuousClock.now
            let limiter = state.admission.rateLimiter
            let overall = state.metrics.overall
            let latency = overall.latency.summary
            return ProviderStatus(
                provider: configuration.provider,
                status: state.admission.breaker.state == .closed ? "healthy" : "degraded",
                circuitBreaker: .init(state: state.admission.breaker.state.rawValue, failureCount: state.admission.breaker.consecutiveFailures),
                rateLimiter: .init(
                    limit: limiter.localRequestLimit ?? 0, windowMs: Int(limiter.policy.window.milliseconds),
                    currentCount: limiter.currentRequests(at: now), providerLimit: limiter.policy.requestsPerWindow
                ),
                metrics: .init(
                    totalRequests: overall.total, successRate: overall.successRate, successfulRequests: overall.successful,
                    failedRequests: overall.failed, inFlight: state.inFlight, p50LatencyMs: latency.p50, p99LatencyMs: latency.p99,
                    totalTokens: overall.promptTokens + overall.completionTokens, totalCostUSD: overall.costUSD
                ),
                instance: configuration.instanceID,
                models: configuration.models.sorted(),
                features: provider.supportedFeatures.map(\.rawValue).sorted(),
                requestID: requestID
            )
        }
    }

    // MARK: Publishing, offsets, flow control

    /// Publishes in order, awaiting each acknowledgement; retries until it succeeds, and gives up
    /// (returning `false`, so the offset is not stored and the message is redelivered) only when
    /// the task is cancelled or the producer is closed.
    private func publish(_ messages: [KafkaProducerMessage]) async -> Bool {
        for message in messages {
            var backoff = Duration.milliseconds(100)
            while true {
                do {
                    try await producer.send(message)
                    break
                } catch {
                    if error.code == .closed || Task.isCancelled { return false }
                    logger.info("publish failed, retrying", metadata: ["kafka.topic": "\(message.topic)", "kafka.error": "\(error)"])
                    try? await Task.sleep(for: backoff)
                    backoff = min(backoff * 2, .seconds(5))
                }
            }
        }
        return true
    }

    private func enterFlight(_ message: KafkaConsumerMessage) {
        let pause = state.withLock { state -> Bool in
            state.offsets.consumed(message)
            state.inFlight += 1
            if state.inFlight >= configuration.maxInFlight, !state.paused {
                state.paused = true
                return true
            }
            return false
        }
        if pause { try? consumer.pause(consumer.assignment) }
    }

    private func leaveFlight(_ message: KafkaConsumerMessage, completed: Bool) {
        let (next, resume) = state.withLock { state -> (Int64?, Bool) in
            state.inFlight -= 1
            let next = completed ? state.offsets.completed(message) : nil
            let resume = state.paused && state.inFlight < configuration.maxInFlight / 2
            if resume { state.paused = false }
            return (next, resume)
        }
        if let next {
            do {
                try consumer.storeOffsets([message.topicPartition: next])
            } catch {
                // Revoked meanwhile: the partition's next owner reads it again.
                logger.debug("offset not stored", metadata: ["kafka.error": "\(error)"])
            }
        }
        if resume { try? consumer.resume(consumer.assignment) }
    }

}

extension Duration {
    var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
