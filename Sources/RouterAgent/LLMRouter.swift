import Foundation
public import Kafka
public import Logging
import Router
public import ServiceLifecycle
public import Signals
import Synchronization

/// A router instance: consumes `llm.router.requests` (client requests) and `llm.errors`
/// (retryable errors agents hand back) in consumer group `llm-router`, and reads all of
/// `llm.status` to keep its provider registry. Per message (``process(_:generation:)``): decode →
/// decide (``RequestRouter``) → wait out the backoff → publish the request to the chosen
/// provider's topic, or the final error to the client → store the offset. Every later decision
/// reads the route context the request carries, so any instance continues any request.
public final class LLMRouter: Service, Sendable {
    let configuration: LLMRouterConfiguration
    let logger: Logger
    let consumer: KafkaConsumer
    let producer: KafkaProducer
    let decoder: SignalDecoder
    let router: RequestRouter
    let state: RouterState
    private let readerTask = Mutex<Task<Void, Never>?>(nil)
    private let processingTask = Mutex<Task<Void, Never>?>(nil)
    private let drainDeadline = Mutex<Task<Void, Never>?>(nil)
    private let started = Mutex<[CheckedContinuation<Void, Never>]?>([])

    public init(configuration: LLMRouterConfiguration, logger: Logger) throws(KafkaError) {
        self.configuration = configuration
        self.logger = logger
        decoder = SignalDecoder(maxBytes: configuration.maxMessageBytes)
        router = RequestRouter(policy: RoutingPolicy(configuration.routing), settings: configuration.reroute, source: configuration.source)
        let state = RouterState(RouterState.Value(
            registry: ProviderRegistry(staleAfterMissedIntervals: configuration.staleAfterMissedIntervals),
            window: KafkaInFlightWindow(capacity: configuration.maxInFlight)
        ))
        self.state = state
        producer = try KafkaProducer(configuration: configuration.producerConfiguration, logger: logger)
        consumer = try KafkaConsumer(
            configuration: configuration.consumerConfiguration, logger: logger,
            onRebalance: { [drainTimeout = configuration.drainTimeout] event in
                Self.rebalanced(event, state: state, revokeTimeout: drainTimeout, logger: logger)
            }
        )
    }

    /// Reads the status topic (the registry), then routes until graceful shutdown (or
    /// ``shutdown()``): stops fetching, hands back retries waiting out a backoff, lets the rest
    /// finish within the drain timeout, commits, leaves the group and flushes the producer last.
    public func run() async throws {
        let statusFollower = try await followStatus()
        try consumer.subscribe(topics: [configuration.routerRequestTopic, configuration.errorTopic])
        logger.info("router started", metadata: [
            "router.instance": "\(configuration.instanceID)", "router.strategy": "\(configuration.routing.strategy.rawValue)",
            "router.providers": "\(state.withLock { $0.registry.providerNames })",
        ])
        markStarted()
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
                logger.info("router stopped reading", metadata: ["kafka.error": "\(error)"])
            }
            continuation.finish()
        }
        readerTask.withLock { $0 = reader }
        let processing = Task {
            await withDiscardingTaskGroup { group in
                for await (message, generation) in fetched {
                    group.addTask { await self.process(message, generation: generation) }
                }
            }
        }
        processingTask.withLock { $0 = processing }
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
        await statusFollower.stop()
        try? await consumer.commit()
        try? await consumer.close()
        await producer.close()
        logger.info("router stopped", metadata: ["router.instance": "\(configuration.instanceID)"])
    }

    /// Stops the router like a graceful shutdown (for use outside a `ServiceGroup`).
    public func shutdown() {
        stopFetching()
    }

    /// Returns once the registry is read and the router consumes (immediately if it already does).
    public func waitUntilStarted() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let wait = started.withLock { waiters -> Bool in
                guard waiters != nil else { return false }
                waiters!.append(continuation)
                return true
            }
            if !wait { continuation.resume() }
        }
    }

    private func markStarted() {
        let waiters = started.withLock { waiters -> [CheckedContinuation<Void, Never>] in
            defer { waiters = nil }
            return waiters ?? []
        }
        for waiter in waiters { waiter.resume() }
    }

    /// What this router did so far, and the registry as it sees it.
    public var counters: RouterCounters {
        state.withLock { state in
            var counters = state.counters
            counters.staleDropped = state.window.staleDropped
            return counters
        }
    }

    private func stopFetching() {
        let parkedReader = state.withLock { state in
            // Retries waiting out a backoff are handed back now: not stored, continued by the next owner.
            state.cancelWaits(in: nil)
            return state.window.stop()
        }
        try? consumer.pause(consumer.assignment)
        readerTask.withLock { $0?.cancel() }
        parkedReader?.resume()
        let processing = processingTask.withLock { $0 }
        let deadline = Task { [drainTimeout = configuration.drainTimeout, logger] in
            guard (try? await Task.sleep(for: drainTimeout)) != nil else { return }
            logger.info("drain timeout reached, abandoning in-flight messages", metadata: ["router.in_flight": "\(self.state.withLock { $0.window.count })"])
            processing?.cancel()
        }
        drainDeadline.withLock { $0 = deadline }
    }

    // MARK: The request path

    /// decode → decide → wait → publish → store offset, for one message.
    func process(_ message: KafkaConsumerMessage, generation: Int) async {
        let decision = decide(message)
        let done: Bool
        switch decision {
        case nil:
            done = true
        case .forward(let provider, let request, let delay)?:
            done = await forward(request, to: provider, after: delay, message: message, generation: generation)
        case .fail(let error, let replyTo)?:
            done = await answer(error, replyTo: replyTo)
        case .deadLetter(let reason)?:
            done = await deadLetter(message, reason: reason)
        }
        leaveFlight(message, generation: generation, completed: done)
    }

    /// What to do with one message: a client request is routed; a retryable error carrying its
    /// request is continued; a final error on `llm.errors` is someone else's answer (`nil`).
    private func decide(_ message: KafkaConsumerMessage) -> Decision? {
        let isRequest = message.topic == configuration.routerRequestTopic
        let envelope: SignalEnvelope
        do {
            envelope = try decoder.decode(message.value)
        } catch {
            // On llm.errors an unreadable message is not ours to judge (agents answer their own).
            guard isRequest else { return nil }
            return reject(message, error)
        }
        let wallNow = Date()
        let now = ContinuousClock.now
        let registry = state.withLock { $0.registry }
        var random = SystemRandomNumberGenerator()
        if !isRequest {
            guard case .providerError(let error) = envelope.signal,
                  let decision = router.reroute(error, wallNow: wallNow, registry: registry, at: now, using: &random) else { return nil }
            return Decision(decision)
        }
        let replyTo = message.header(SignalHeader.replyTo)?.stringValue
        let enqueuedAt = message.timestampMilliseconds.map { Date(timeIntervalSince1970: Double($0) / 1000) }
        switch envelope.signal {
        case .providerRequest(let request), .visionRequest(let request):
            return Decision(router.route(request, replyTo: replyTo, enqueuedAt: enqueuedAt, wallNow: wallNow, registry: registry, at: now, using: &random))
        case .streamRequest(let request):
            return Decision(router.route(request, streaming: true, replyTo: replyTo, enqueuedAt: enqueuedAt, wallNow: wallNow, registry: registry, at: now, using: &random))
        default:
            let text = "signal type '\(envelope.type.rawValue)' is not accepted on \(configuration.routerRequestTopic) (send provider_request, stream_request or vision_request)"
            guard let requestID = envelope.signal.requestID else { return .deadLetter(text) }
            return .fail(ProviderError(requestID: requestID, errorType: .invalidRequest, error: text, retryable: false, instance: configuration.source),
                         replyTo: envelope.signal.replyTo ?? replyTo)
        }
    }

    enum Decision {
        case forward(provider: String, request: ProviderRequest, delay: Duration)
        case fail(ProviderError, replyTo: String?)
        case deadLetter(String)

        init(_ decision: RequestRouter.Decision) {
            switch decision {
            case .forward(let provider, let request, let delay): self = .forward(provider: provider, request: request, delay: delay)
            case .fail(let error, let replyTo): self = .fail(error, replyTo: replyTo)
            }
        }
    }

    /// A message that could not be decoded: `invalid_request` at the client's reply topic when its
    /// request id is readable (from the value or the `request-id` header), else the dead-letter topic.
    private func reject(_ message: KafkaConsumerMessage, _ error: any Error) -> Decision {
        let decodingError = error as? SignalDecodingError
        let reason = decodingError?.description ?? "\(error)"
        guard let requestID = decodingError?.requestID ?? message.header(SignalHeader.requestID)?.stringValue, !requestID.isEmpty else {
            return .deadLetter(reason)
        }
        let signal = ProviderError(
            requestID: requestID, errorType: .invalidRequest, error: decodingError?.message ?? reason, retryable: false,
            field: decodingError.flatMap { $0.path.isEmpty ? nil : $0.path }, instance: configuration.source
        )
        return .fail(signal, replyTo: message.header(SignalHeader.replyTo)?.stringValue)
    }

    /// Waits out `delay` (given up when the partition is revoked or the router stops: then the
    /// message is not stored and its next owner continues it), then publishes `request` to the
    /// provider's topic. A provider without a request topic is a final error for the client.
    private func forward(_ request: ProviderRequest, to provider: String, after delay: Duration, message: KafkaConsumerMessage,
                         generation: Int) async -> Bool {
        if delay > .zero {
            guard await wait(delay, for: message), isOwned(message, generation: generation) else { return false }
        }
        let signal: Signal = request.stream == true ? .streamRequest(request) : .providerRequest(request)
        var outgoing = Self.message(signal, to: configuration.requestTopic(of: provider), key: request.partitionKey ?? request.requestID, source: configuration.source)
        if let traceparent = message.header(SignalHeader.traceparent) { outgoing.headers.append(traceparent) }
        switch await publish(outgoing) {
        case .published:
            state.withLock { state in
                if request.effectiveAttempt == 1 { state.counters.routed += 1 } else { state.counters.rerouted += 1 }
                state.counters.forwardsByProvider[provider, default: 0] += 1
                state.registry.recordForward(to: provider, at: .now)
            }
            logger.debug("request forwarded", metadata: [
                "request.id": "\(request.requestID)", "router.provider": "\(provider)", "router.attempt": "\(request.effectiveAttempt)",
            ])
            return true
        case .givenUp:
            return false
        case .rejected(let error):
            var final = ProviderError(
                requestID: request.requestID, errorType: .modelUnavailable,
                error: "provider '\(provider)' cannot take requests: its topic '\(outgoing.topic)' refused the message (\(error.message))",
                retryable: false, provider: provider, model: request.model, attempt: request.attempt, instance: configuration.source,
                metadata: request.metadata
            )
            final.route = request.route
            return await answer(final, replyTo: request.route?.replyTo)
        }
    }

    /// Publishes a final error to the client's reply topic (the error topic when it has none, or
    /// when the reply topic refuses it for good).
    private func answer(_ error: ProviderError, replyTo: String?) async -> Bool {
        state.withLock { $0.counters.failed += 1 }
        logger.debug("request answered by the router", metadata: ["request.id": "\(error.requestID)", "error.type": "\(error.errorType.rawValue)"])
        let topic = replyTo ?? configuration.errorTopic
        switch await publish(Self.message(.providerError(error), to: topic, key: error.requestID, source: configuration.source)) {
        case .published: return true
        case .givenUp: return false
        case .rejected(let kafkaError):
            guard topic != configuration.errorTopic else { return true }
            var replacement = error
            replacement.error = "\(error.error) (the reply topic '\(topic)' refused this answer: \(kafkaError.message))"
            return await publish(Self.message(.providerError(replacement), to: configuration.errorTopic, key: error.requestID, source: configuration.source)) != .givenUp
        }
    }

    private func deadLetter(_ message: KafkaConsumerMessage, reason: String) async -> Bool {
        state.withLock { $0.counters.deadLettered += 1 }
        logger.info("message dead-lettered", metadata: [
            "kafka.topic": "\(message.topic)", "kafka.partition": "\(message.partition)", "kafka.offset": "\(message.offset)", "router.reason": "\(reason)",
        ])
        let letter = KafkaProducerMessage(
            topic: configuration.deadLetterTopic, key: message.key, value: message.value,
            headers: message.headers + [
                KafkaHeader(key: "dlq-reason", value: reason),
                KafkaHeader(key: "dlq-source", value: "\(message.topic)/\(message.partition)/\(message.offset)"),
                KafkaHeader(key: "dlq-router", value: configuration.source),
            ]
        )
        return await publish(letter) != .givenUp
    }

    /// A signal as a Kafka message: keyed, with the signal headers.
    public static func message(_ signal: Signal, to topic: String, key: String, source: String) -> KafkaProducerMessage {
        let envelope = SignalEnvelope(signal, source: source)
        let value = (try? envelope.encoded()) ?? Array(#"{"type":"provider_error"}"#.utf8)
        return KafkaProducerMessage(
            topic: topic, key: Array(key.utf8), value: value,
            headers: envelope.headers().map { KafkaHeader(key: $0.name, value: $0.value) }
        )
    }
}
