public import AgentCore
import Foundation
public import Kafka
public import Logging
public import ServiceLifecycle
import Signals
import Synchronization

/// A provider agent: consumes `llm.requests.<provider>` in group `llm-provider-<provider>` and
/// answers every message. Per request (``execute(_:message:generation:streaming:)``): ledger → admission →
/// `started` in the ledger → provider call → `answered` in the ledger → publish → store the
/// offset, many requests concurrently, offsets stored only for the contiguous answered prefix of
/// each partition. At `maxInFlight` the agent stops taking messages until one finishes.
///
/// Before the first request it applies the provider's control topic (`llm.control.<provider>`)
/// and keeps following it; when a partition is assigned, the matching ledger partition is read
/// before any of its requests is processed, so a redelivered request that was already answered
/// is answered again from the ledger instead of calling (and paying) the provider twice.
public final class ProviderAgent: Service, Sendable {
    let configuration: ProviderAgentConfiguration
    let provider: any LLMProvider
    let logger: Logger
    let consumer: KafkaConsumer
    let producer: KafkaProducer
    let decoder: SignalDecoder
    let state: AgentState
    let source: String
    /// Machine load: sampled periodically, may refuse requests and shrink concurrency.
    let resources: ResourceGovernor
    /// The upstream's own health, probed as often as the resources are sampled.
    let upstreamHealth = UpstreamHealth()
    private let readerTask = Mutex<Task<Void, Never>?>(nil)
    private let processingTask = Mutex<Task<Void, Never>?>(nil)
    private let drainDeadline = Mutex<Task<Void, Never>?>(nil)

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
                defaultModel: configuration.defaultModel,
                modelTiers: configuration.modelTiers
            ),
            metrics: ProviderMetrics(prices: configuration.prices),
            window: KafkaInFlightWindow(capacity: configuration.maxInFlight)
        ))
        self.state = state
        resources = ResourceGovernor(policy: configuration.resources, configuredLimit: configuration.maxConcurrentCalls)
        producer = try KafkaProducer(configuration: configuration.producerConfiguration, logger: logger)
        consumer = try KafkaConsumer(
            configuration: configuration.consumerConfiguration,
            logger: logger,
            onRebalance: { [drainTimeout = configuration.drainTimeout] event in
                Self.rebalanced(event, state: state, revokeTimeout: drainTimeout, logger: logger)
            }
        )
    }

    /// Consumes until graceful shutdown (or ``shutdown()``): then stops fetching, lets every
    /// message already fetched finish (answered, offset stored) within the drain timeout,
    /// abandons what is left (its offsets are not stored: the next owner answers it), commits,
    /// leaves the group, publishes a final status and flushes the producer last.
    public func run() async throws {
        try await checkTopics()
        let control = try await followControlTopic()
        try consumer.subscribe(topics: [configuration.requestTopic])
        logger.info("agent started", metadata: ["agent.provider": "\(configuration.provider)", "agent.instance": "\(configuration.instanceID)"])
        // A separate reading task, so fetching can stop while in-flight work goes on.
        let (fetched, continuation) = AsyncStream<(message: KafkaConsumerMessage, generation: Int)>.makeStream()
        let reader = Task { [consumer, logger] in
            do {
                for try await message in consumer.messages {
                    await self.waitForSlot()
                    guard !Task.isCancelled else { break }
                    guard let generation = self.enterFlight(message) else { continue }
                    continuation.yield((message, generation))
                }
            } catch {
                logger.info("agent stopped reading", metadata: ["kafka.error": "\(error)"])
            }
            continuation.finish()
        }
        readerTask.withLock { $0 = reader }
        let resourceLoop = Task { await self.resources.run(state: self.state, logger: self.logger) }
        let healthLoop = Task {
            await self.upstreamHealth.run(self.provider, every: self.configuration.resources.refreshInterval) { await self.publishStatus() }
        }
        let statusLoop = Task {
            while !Task.isCancelled {
                await self.publishStatus()
                try? await Task.sleep(for: self.configuration.statusInterval)
            }
        }
        let processing = Task {
            await withDiscardingTaskGroup { group in
                for await (message, generation) in fetched {
                    group.addTask { await self.process(message, generation: generation) }
                }
            }
        }
        processingTask.withLock { $0 = processing }
        // A shutdown requested before the tasks existed.
        if state.withLock({ $0.window.isStopping }) { stopFetching() }
        // Graceful shutdown drains; cancellation (another service of the group failed) abandons
        // what is in flight at once (its offsets are not stored: the next owner answers it).
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await processing.value
            } onGracefulShutdown: {
                self.stopFetching()
            }
        } onCancel: {
            self.stopFetching()
            processing.cancel()
        }
        drainDeadline.withLock { $0?.cancel() }
        // Everything fetched is answered and its offset stored, or abandoned at the deadline.
        statusLoop.cancel()
        resourceLoop.cancel()
        healthLoop.cancel()
        await control.stop()
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

    /// The request, ledger and control topics must exist; the ledger needs as many partitions
    /// as the request topic (a request's outcome goes to the same partition number).
    private func checkTopics() async throws(KafkaError) {
        let metadata = try await consumer.metadata(timeout: configuration.connectTimeout)
        let partitions = try metadata.partitionCount(of: configuration.requestTopic)
        let ledgerPartitions = configuration.ledger ? try metadata.partitionCount(of: configuration.ledgerTopic) : partitions
        guard ledgerPartitions == partitions else {
            throw KafkaError(
                code: .invalidConfiguration,
                message: "ledger topic '\(configuration.ledgerTopic)' has \(ledgerPartitions) partitions but '\(configuration.requestTopic)' has \(partitions); they must be equal"
            )
        }
        _ = try metadata.partitionCount(of: configuration.controlTopic)
        state.withLock { state in
            state.topicPartitions = partitions
            state.updateShare()
        }
    }

    private func stopFetching() {
        let parkedReader = state.withLock { state in
            for case .loading(let task) in state.ledger.values { task.cancel() }
            return state.window.stop()
        }
        try? consumer.pause(consumer.assignment)
        readerTask.withLock { $0?.cancel() }
        parkedReader?.resume()
        let processing = processingTask.withLock { $0 }
        let deadline = Task { [drainTimeout = configuration.drainTimeout, logger] in
            guard (try? await Task.sleep(for: drainTimeout)) != nil else { return }
            logger.info("drain timeout reached, abandoning in-flight requests", metadata: ["agent.in_flight": "\(self.state.withLock { $0.window.count })"])
            processing?.cancel()
        }
        drainDeadline.withLock { $0 = deadline }
    }

    // MARK: The request path

    /// decode → handle → publish → store offset, for one message. `nil` answers mean the message
    /// was abandoned (revoked partition, drain deadline): its offset is not stored.
    func process(_ message: KafkaConsumerMessage, generation: Int) async {
        let answers: [KafkaProducerMessage]?
        do {
            let envelope = try decoder.decode(message.value)
            answers = await handle(envelope, from: message, generation: generation)
        } catch {
            answers = [reject(message, error)]
        }
        guard let answers, await publish(answers) else {
            leaveFlight(message, generation: generation, completed: false)
            return
        }
        leaveFlight(message, generation: generation, completed: true)
    }

    private func handle(_ envelope: SignalEnvelope, from message: KafkaConsumerMessage, generation: Int) async -> [KafkaProducerMessage]? {
        switch envelope.signal {
        case .providerRequest(let request), .visionRequest(let request):
            return await execute(request, message: message, generation: generation, streaming: false)
        case .streamRequest(let request):
            return await execute(request, message: message, generation: generation, streaming: true)
        case .featureCheck(let check):
            let supported = provider.supportedFeatures.contains(ProviderFeature(rawValue: check.feature))
            let result = FeatureCheckResult(feature: check.feature, supported: supported, provider: configuration.provider, requestID: check.requestID)
            return [answer(.featureCheckResult(result), to: check.replyTo ?? message.header(SignalHeader.replyTo)?.stringValue ?? configuration.responseTopic, key: check.requestID)]
        case .getProviderStatus(let query):
            let status = statusSignal(requestID: query?.requestID)
            return [answer(.providerStatus(status), to: query?.replyTo ?? message.header(SignalHeader.replyTo)?.stringValue ?? configuration.responseTopic, key: query?.requestID)]
        case .configureFunctions, .configureSafety:
            // Settings for every instance: applied (and answered) from the control topic.
            return [forwardToControl(message, type: envelope.type)]
        case .loadModel, .unloadModel, .getResourceStatus, .listAvailableModels:
            return [await handleLocal(envelope.signal, from: message)]
        default:
            let text = "signal type '\(envelope.type.rawValue)' is not accepted on \(configuration.requestTopic)"
            guard let requestID = envelope.signal.requestID else {
                return [deadLetter(message, reason: text)]
            }
            let error = ProviderError(requestID: requestID, errorType: .invalidRequest, error: text, retryable: false, provider: configuration.provider, instance: configuration.instanceID)
            let replyTo = envelope.signal.replyTo ?? message.header(SignalHeader.replyTo)?.stringValue
            return [answer(.providerError(error), to: replyTo ?? configuration.errorTopic, key: requestID)]
        }
    }

    /// One request, top to bottom: the answers to publish (the final one last), or `nil` when
    /// the request is abandoned (its partition was revoked, or the drain deadline passed).
    private func execute(_ request: ProviderRequest, message: KafkaConsumerMessage, generation: Int, streaming: Bool) async -> [KafkaProducerMessage]? {
        let replyTo = request.replyTo ?? message.header(SignalHeader.replyTo)?.stringValue
        // 1. The ledger: an attempt already answered is answered again, never billed twice.
        switch await lookUpLedger(request, in: message, generation: generation) {
        case .abandon: return nil
        case .answered(let answer): return [answer]
        case .notAnswered: break
        }
        // 2. The standing settings: configured functions; safety checks the prompt, prepends its
        //    system prompt and caps max_tokens.
        let prepared: ProviderRequest
        switch prepare(request) {
        case .success(let value): prepared = value
        case .failure(let refusal):
            state.withLock { $0.metrics.recordRejection(model: request.model ?? $0.admission.defaultModel ?? "", errorType: refusal.type.rawValue) }
            return [errorAnswer(refusal, request: request, model: request.model, replyTo: replyTo)]
        }
        // 3. Admission: deadline → rate limit → breaker → concurrency → model.
        let ticket: AdmissionController.Ticket
        switch admit(prepared, message: message, replyTo: replyTo) {
        case .admitted(let admitted): ticket = admitted
        case .refused(let answer): return [answer]
        }
        // 4. `started` in the ledger (only for a partition still ours): if this instance dies
        //    during the call, the next owner knows the provider may have been reached.
        guard isOwned(message, generation: generation), await recordInLedger(.started, request: request, message: message) else {
            abandon(request, ticket: ticket)
            return nil
        }
        // 5. The provider call; stream deltas are published as they arrive; safety screens the answer.
        var routed = prepared
        routed.model = ticket.model
        let started = ContinuousClock.now
        var result: Result<Completion, ProviderCallError>
        // A routed request whose chunks reached the client is not re-routed: another attempt
        // would stream its answer again from the start.
        var chunksPublished = false
        if streaming {
            guard let streamed = await callStreaming(routed, ticket: ticket, replyTo: replyTo) else {
                abandon(request, ticket: ticket)
                return nil
            }
            (result, chunksPublished) = streamed
        } else {
            do {
                result = .success(try await provider.complete(routed))
            } catch {
                result = .failure(error)
            }
        }
        guard !Task.isCancelled else {
            abandon(request, ticket: ticket)
            return nil
        }
        result = screen(result)
        // 6. Breaker, metrics, the answer; `answered` in the ledger before it is published.
        let final = finish(request, ticket: ticket, result: result, latency: ContinuousClock.now - started, replyTo: replyTo,
                           reroutable: !chunksPublished)
        guard await recordInLedger(.answered, request: request, message: message, answer: final) else { return nil }
        return [final]
    }

    /// Streams `request`, publishing one `stream_chunk` per delta (keyed by request id, so they
    /// stay in order); the completion or the failure, and whether any chunk was published. `nil`
    /// when publishing was given up.
    private func callStreaming(_ request: ProviderRequest, ticket: AdmissionController.Ticket, replyTo: String?) async -> (Result<Completion, ProviderCallError>, Bool)? {
        var index = 0
        var deliverable = true
        let result = await streamCall(request, ticket: ticket, replyTo: replyTo, index: &index, deliverable: &deliverable)
        return result.map { ($0, index > 0) }
    }

    private func streamCall(
        _ request: ProviderRequest, ticket: AdmissionController.Ticket, replyTo: String?, index: inout Int, deliverable: inout Bool
    ) async -> Result<Completion, ProviderCallError>? {
        var text = ""
        do {
            for try await event in provider.stream(request) {
                switch event {
                case .delta(let delta):
                    text += delta
                    // Safety sees the answer so far: a blocked one stops before the chunk goes out.
                    if let refusal = screenStream(text) { return .failure(refusal) }
                    let chunk = StreamChunk(requestID: request.requestID, index: index, delta: delta, provider: configuration.provider, model: ticket.model)
                    index += 1
                    guard deliverable else { continue }
                    switch await publish(answer(.streamChunk(chunk), to: replyTo ?? configuration.responseTopic, key: request.requestID)) {
                    case .published: break
                    case .givenUp: return nil
                    // The reply topic cannot take it: no more chunks; the final answer's
                    // replacement tells the client why.
                    case .rejected: deliverable = false
                    }
                case .finished(let completion):
                    return .success(completion)
                }
            }
            return .failure(ProviderCallError(type: .providerError, message: "stream ended without a final completion", retryable: true, breakerKind: .other))
        } catch let error as ProviderCallError {
            return .failure(error)
        } catch {
            return .failure(ProviderCallError(type: .providerError, message: "stream failed: \(error)", retryable: true, breakerKind: .other))
        }
    }

    private enum Admission {
        case admitted(AdmissionController.Ticket)
        /// The `provider_error` answer for a refused request.
        case refused(KafkaProducerMessage)
    }

    /// The admission checks for one request; a refusal is counted in the metrics and answered at
    /// once, an admitted request enters the in-flight table.
    @inline(never)
    private func admit(_ request: ProviderRequest, message: KafkaConsumerMessage, replyTo: String?) -> Admission {
        let enqueuedAt = message.timestampMilliseconds.map { Date(timeIntervalSince1970: Double($0) / 1000) }
        let now = ContinuousClock.now
        let constrained = resources.refusal()
        let decision = state.withLock { state -> AdmissionController.Decision in
            // Machine load above a threshold: refused after the deadline check, before anything is consumed.
            let decision = state.admission.admit(request, enqueuedAt: enqueuedAt, wallNow: Date(), at: now, constrained: constrained)
            switch decision {
            case .admitted(let ticket):
                _ = state.tracker.begin(requestID: request.requestID, model: ticket.model, at: now)
            case .rejected(let rejection):
                state.metrics.recordRejection(model: request.model ?? state.admission.defaultModel ?? "", errorType: rejection.type.rawValue)
            }
            return decision
        }
        switch decision {
        case .admitted(let ticket): return .admitted(ticket)
        case .rejected(let rejection): return .refused(errorAnswer(rejection, request: request, model: request.model, replyTo: replyTo))
        }
    }

    /// Releases what an admitted request held, without counting an outcome.
    private func abandon(_ request: ProviderRequest, ticket: AdmissionController.Ticket) {
        state.withLock { state in
            state.admission.finish(ticket, outcome: nil, at: .now)
            state.tracker.finish(requestID: request.requestID)
        }
    }

    @inline(never)
    private func finish(
        _ request: ProviderRequest, ticket: AdmissionController.Ticket, result: Result<Completion, ProviderCallError>,
        latency: Duration, replyTo: String?, reroutable: Bool
    ) -> KafkaProducerMessage {
        let now = ContinuousClock.now
        // What the upstream said about its limits slows the next admissions of the model.
        let upstreamLimit = provider.upstreamRateLimit(model: ticket.model)
        state.withLock { state in
            if let upstreamLimit { state.admission.observeUpstream(upstreamLimit, model: ticket.model) }
            if case .failure(let error) = result, error.type == .rateLimited, error.retryable, let retryAfter = error.retryAfter {
                state.admission.pauseUpstream(model: ticket.model, for: retryAfter, at: now)
            }
        }
        switch result {
        case .success(let completion):
            let (cost, transitioned) = state.withLock { state -> (Double, Bool) in
                let before = state.admission.breaker.totalTransitions
                state.admission.finish(ticket, outcome: .success, at: now)
                state.tracker.finish(requestID: request.requestID)
                state.metrics.record(.init(
                    model: completion.model, succeeded: true, latency: latency,
                    promptTokens: completion.usage.promptTokens, completionTokens: completion.usage.completionTokens,
                    generationTime: completion.generationTime
                ))
                let cost = state.metrics.prices.cost(model: completion.model, promptTokens: completion.usage.promptTokens, completionTokens: completion.usage.completionTokens)
                // Absurd prices can overflow to infinity, which JSON cannot carry.
                return (cost.isFinite ? cost : .greatestFiniteMagnitude, state.admission.breaker.totalTransitions != before)
            }
            if transitioned { Task { await self.publishStatus() } }
            let response = ProviderResponse(
                requestID: request.requestID, response: completion.content, provider: configuration.provider,
                model: completion.model, latencyMs: latency.milliseconds, usage: completion.usage,
                finishReason: completion.finishReason, toolCalls: completion.toolCalls, costUSD: cost,
                attempt: request.attempt, instance: configuration.instanceID, metadata: request.metadata, route: request.route
            )
            return answer(.providerResponse(response), to: replyTo ?? configuration.responseTopic, key: request.requestID)
        case .failure(let error):
            let transitioned = state.withLock { state -> Bool in
                let before = state.admission.breaker.totalTransitions
                state.admission.finish(ticket, outcome: error.breakerKind.map { .failure($0) }, at: now)
                state.tracker.finish(requestID: request.requestID)
                state.metrics.record(.init(model: ticket.model, succeeded: false, errorType: error.type.rawValue, latency: latency))
                return state.admission.breaker.totalTransitions != before
            }
            if transitioned { Task { await self.publishStatus() } }
            return errorAnswer(error, request: request, model: ticket.model, replyTo: replyTo, reroutable: reroutable)
        }
    }
}

extension Int {
    /// The nearest `Int` to a finite value, the bounds for values beyond them (never traps: the
    /// values come from configuration and control signals).
    init(saturating value: Double) {
        if value.isNaN { self = 0 } else if value >= 9.2e18 { self = .max } else if value <= -9.2e18 { self = .min } else { self = Int(value) }
    }
}

extension Duration {
    var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
