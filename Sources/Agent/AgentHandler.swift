public import AgentCore
import Common
public import CoreMetrics
import Foundation
public import Kafka
public import Logging
import Signals
public import WorkerRuntime

/// The provider agent as a ``WorkerHandler``: what `llm.requests.<provider>` messages mean and
/// what answers them. The runtime owns the loop, offsets, rebalances, publishing and the ledger
/// (its journal); this type owns the agent's rules:
///
/// - `provider_request`, `vision_request`, `stream_request`: ledger → prepare and admit
///   (``RequestPipeline``) → `started` in the ledger → the provider call (a job) → the answer,
///   recorded in the ledger before it is published.
/// - `feature_check`, `get_provider_status`: answered at once.
/// - `configure_functions`, `configure_safety`: forwarded to the control topic, which every
///   instance applies and answers.
/// - the local providers' signals: answered by the model manager (a job).
/// - anything else, or bytes that are no signal: `invalid_request` at the reply topic when a
///   request id can be read, else the dead-letter topic.
///
/// It runs the same way on Kafka (``ProviderAgent``) and in memory (`InProcessWorker`).
public final class AgentHandler: WorkerHandler, Sendable {
    let configuration: ProviderAgentConfiguration
    let provider: any LLMProvider
    let logger: Logger
    let decoder: SignalDecoder
    let state: AgentState
    let answers: AgentAnswers
    let resources: ResourceGovernor
    /// The upstream's own health, probed as often as the resources are sampled.
    let upstreamHealth = UpstreamHealth()
    /// Asks the status companion to publish at once (a breaker moved, a setting changed).
    let statusNow: StatusTrigger
    /// The control topic, read whole before the first request, then followed.
    let control: TopicFollower
    /// What it reports to its metrics factory.
    let telemetry: AgentTelemetry

    public init(
        configuration: ProviderAgentConfiguration, provider: any LLMProvider, logger: Logger,
        metrics: any MetricsFactory = MetricsSystem.factory
    ) {
        self.configuration = configuration
        telemetry = AgentTelemetry(provider: configuration.provider, factory: metrics)
        self.provider = provider
        self.logger = logger
        decoder = SignalDecoder(maxBytes: configuration.maxMessageBytes)
        let admission = AdmissionController(
            rateLimiter: RateLimiter(policy: configuration.rateLimit),
            breaker: CircuitBreaker(policy: configuration.breaker),
            concurrency: ConcurrencyLimiter(limit: configuration.maxConcurrentCalls),
            models: configuration.models,
            defaultModel: configuration.defaultModel,
            modelTiers: configuration.modelTiers
        )
        state = AgentState(
            AgentState.Value(
                pipeline: RequestPipeline(
                    identity: .init(provider: configuration.provider, instance: configuration.instanceID),
                    admission: admission, metrics: ProviderMetrics(prices: configuration.prices)
                )))
        answers = AgentAnswers(
            source: configuration.source, responseTopic: configuration.responseTopic,
            errorTopic: configuration.errorTopic,
            controlTopic: configuration.controlTopic
        )
        resources = ResourceGovernor(policy: configuration.resources, configuredLimit: configuration.maxConcurrentCalls)
        statusNow = StatusTrigger()
        control = TopicFollower(
            topic: configuration.controlTopic,
            configuration: configuration.readerConfiguration(
                purpose: "control", minimumFetchWait: WorkerKafkaClients.followerFetchWait),
            connectTimeout: configuration.connectTimeout, logger: logger
        )
    }

    // MARK: WorkerHandler

    public func handle(_ message: WorkerMessage, _ worker: any WorkerIO) {
        let envelope: SignalEnvelope
        do {
            envelope = try decoder.decode(message.kafka.value)
        } catch {
            reject(message, error, worker)
            return
        }
        let replyTo = AgentAnswers.replyTo(envelope.signal, in: message.kafka)
        switch envelope.signal {
        case .providerRequest(let request), .visionRequest(let request):
            handleRequest(request, streaming: false, message, worker)
        case .streamRequest(let request):
            handleRequest(request, streaming: true, message, worker)
        case .featureCheck(let check):
            let supported = provider.supportedFeatures.contains(ProviderFeature(rawValue: check.feature))
            let result = FeatureCheckResult(
                feature: check.feature, supported: supported, provider: configuration.provider,
                requestID: check.requestID
            )
            worker.publish(
                [answers.answer(.featureCheckResult(result), replyTo: replyTo, key: check.requestID)], for: message,
                fallback: nil)
        case .getProviderStatus(let query):
            let status = statusSignal(requestID: query?.requestID, worker: worker as? WorkerContext)
            worker.publish(
                [answers.answer(.providerStatus(status), replyTo: replyTo, key: query?.requestID)], for: message,
                fallback: nil)
        case .configureFunctions, .configureSafety:
            // Settings for every instance: applied (and answered) from the control topic.
            logger.info(
                "setting forwarded to the control topic",
                metadata: [
                    LogKey.signalType: "\(envelope.type.rawValue)", LogKey.offset: "\(message.kafka.offset)",
                ])
            let forward = KafkaProducerMessage(
                topic: configuration.controlTopic, key: Array(envelope.type.rawValue.utf8), value: message.kafka.value,
                headers: message.kafka.headers
            )
            worker.publish([forward], for: message, fallback: nil)
        case .loadModel, .unloadModel, .getResourceStatus, .listAvailableModels:
            worker.submit {
                let answer = await self.handleLocal(envelope.signal, from: message.kafka)
                worker.publish([answer], for: message, fallback: nil)
            }
        default:
            let text = "signal type '\(envelope.type.rawValue)' is not accepted on \(configuration.requestTopic)"
            guard let requestID = envelope.signal.requestID else {
                worker.deadLetter(message, code: "notAccepted", reason: text)
                return
            }
            let error = ProviderError(
                requestID: requestID, errorType: .invalidRequest, error: text, retryable: false,
                provider: configuration.provider,
                instance: configuration.instanceID
            )
            worker.publish([answers.error(error, replyTo: replyTo)], for: message, fallback: nil)
        }
    }

    public func assignmentChanged(_ event: KafkaRebalanceEvent, _ worker: any WorkerIO) {
        let partitions = Set(event.partitions.filter { $0.topic == configuration.requestTopic }.map(\.partition))
        state.withLock { state in
            switch event {
            case .assigned: state.owned.formUnion(partitions)
            case .revoked, .lost: state.owned.subtract(partitions)
            }
            state.updateShare()
        }
    }

    public func prepare(_ worker: WorkerContext) async throws {
        try await checkTopics(worker)
        try await replayControlTopic(worker)
    }

    public func companions(_ worker: WorkerContext) -> [@Sendable () async -> Void] {
        [
            { await self.followControlTopic(worker) },
            { await self.publishStatuses(worker) },
            { await self.resources.run(state: self.state, logger: self.logger) },
            {
                await self.upstreamHealth.run(self.provider, every: self.configuration.resources.refreshInterval) {
                    self.statusNow.fire()
                }
            },
        ]
    }

    public func stopped(_ worker: WorkerContext) async {
        await publishStatus(worker, health: "stopped")
        logger.info(
            "agent stopped",
            metadata: [LogKey.provider: "\(configuration.provider)", LogKey.instance: "\(configuration.instanceID)"])
    }

    // MARK: Bad input

    /// A message that could not be decoded: `invalid_request` when its request id is readable
    /// (from the value or the `request-id` header) and valid UTF-8, else the dead-letter topic.
    func reject(_ message: WorkerMessage, _ error: any Error, _ worker: any WorkerIO) {
        let decodingError = error as? SignalDecodingError
        let reason = decodingError?.description ?? "\(error)"
        let code = decodingError?.code.rawValue ?? "undecodable"
        let header = message.kafka.header(SignalHeader.requestID)
        let headerID = header?.value.flatMap { String(validatingUTF8Bytes: $0) }
        guard let requestID = decodingError?.requestID ?? headerID, !requestID.isEmpty else {
            worker.deadLetter(message, code: header == nil ? code : "invalidRequestID", reason: reason)
            return
        }
        let signal = ProviderError(
            requestID: requestID, errorType: .invalidRequest, error: decodingError?.message ?? reason, retryable: false,
            provider: configuration.provider, field: decodingError.flatMap { $0.path.isEmpty ? nil : $0.path },
            instance: configuration.instanceID
        )
        let replyTo = message.kafka.header(SignalHeader.replyTo)?.stringValue
        let answer = answers.error(signal, replyTo: replyTo)
        worker.publish(
            [answer], for: message,
            fallback: answers.fallback(
                for: answer, requestID: requestID, provider: configuration.provider, instance: configuration.instanceID
            ))
    }
}

extension String {
    /// The bytes as a string when they are valid UTF-8, else `nil` (never a string with
    /// replacement characters that its sender could not match).
    init?(validatingUTF8Bytes bytes: [UInt8]) {
        guard let text = String(validating: bytes, as: UTF8.self) else { return nil }
        self = text
    }
}
