import AgentCore
import Common
import Foundation
import Kafka
import Logging
import Signals
import WorkerRuntime

// The control topic `llm.control.<provider>`: configuration every instance applies. Read whole
// before the first request (``replayControlTopic(_:)``), then followed (a companion).
extension AgentHandler {
    /// The request, ledger and control topics must exist; the ledger needs as many partitions
    /// as the request topic (a request's records go to the same partition number).
    func checkTopics(_ worker: WorkerContext) async throws {
        let metadata = try await worker.consumer.metadata(timeout: configuration.connectTimeout)
        let partitions = try metadata.partitionCount(of: configuration.requestTopic)
        if configuration.ledger {
            let ledgerPartitions = try metadata.partitionCount(of: configuration.ledgerTopic)
            guard ledgerPartitions == partitions else {
                throw KafkaError(
                    code: .invalidConfiguration,
                    message:
                        """
                        ledger topic '\(configuration.ledgerTopic)' has \(ledgerPartitions) partitions but \
                        '\(configuration.requestTopic)' has \(partitions); they must be equal
                        """
                )
            }
        }
        _ = try metadata.partitionCount(of: configuration.controlTopic)
        state.withLock { state in
            state.topicPartitions = partitions
            state.updateShare()
        }
    }

    /// Applies the whole control topic (the current configuration) once: the latest value of
    /// every section, merged first, so the order compaction left them in does not matter.
    func replayControlTopic(_ worker: WorkerContext) async throws {
        var merged: ConfigureProvider?
        var replayed = 0
        // configure_functions / configure_safety replace their settings whole: the last wins.
        var functions: ConfigureFunctions?
        var safety: ConfigureSafety?
        try await control.readToEnd(timeout: .seconds(120)) { message in
            switch try? decoder.decode(message.value).signal {
            case .configureProvider(let change)?:
                // A message breaking a rule on its own is skipped, not merged: it must not
                // keep the valid sections of the others from applying.
                do throws(ProviderPolicies.Invalid) {
                    _ = try ProviderPolicies.Change(change)
                    merged = merged.map { $0.overlaid(with: change) } ?? change
                    replayed += 1
                } catch {
                    logger.warning(
                        "control message not applied",
                        metadata: [
                            LogKey.partition: "\(message.partition)", LogKey.offset: "\(message.offset)",
                            LogKey.reason: "data.\(error)",
                        ])
                }
            case .configureFunctions(let signal)?:
                functions = signal
            case .configureSafety(let signal)?:
                safety = signal
            default:
                logger.warning(
                    "control message not applied",
                    metadata: [
                        LogKey.partition: "\(message.partition)", LogKey.offset: "\(message.offset)",
                        LogKey.reason: "not a valid control signal",
                    ])
            }
        }
        if let functions, case .failure(let error) = apply(functions) {
            logger.warning("control message not applied", metadata: [LogKey.reason: "\(error.message)"])
        }
        if let safety, case .failure(let error) = apply(safety) {
            logger.warning("control message not applied", metadata: [LogKey.reason: "\(error.message)"])
        }
        if var merged {
            let models = merged.models.map(Set.init) ?? state.withLock { $0.pipeline.admission.models }
            if let model = merged.defaultModel, !models.isEmpty, !models.contains(model) {
                logger.warning(
                    "control topic default_model is not among its models, ignored", metadata: [LogKey.model: "\(model)"]
                )
                merged.defaultModel = nil
            }
            merged.requestID = nil
            _ = apply(merged, signals: replayed)
        }
        let version = state.withLock { $0.pipeline.configVersion }
        logger.info("control topic applied", metadata: [LogKey.configVersion: "\(version)"])
    }

    /// Follows the control topic from where the replay ended, until cancelled.
    func followControlTopic(_ worker: WorkerContext) async {
        await control.follow { message in applyControl(message, worker) }
    }

    /// Applies one live control message: answered when it carries a request id
    /// (`provider_configured`, `functions_configured`, `safety_configured`, or a `provider_error`
    /// with the reason), and a fresh status is published; a message that cannot be applied and
    /// has no request id is dead-lettered.
    func applyControl(_ message: KafkaConsumerMessage, _ worker: WorkerContext) {
        var answerSignal: Signal?
        var failure: String?
        var failureType = ProviderErrorType.invalidRequest
        var isSettingFailure = false
        var requestID: String?
        var signalReplyTo: String?
        do {
            let envelope = try decoder.decode(message.value)
            requestID = envelope.signal.requestID
            signalReplyTo = envelope.signal.replyTo
            switch envelope.signal {
            case .configureProvider(let change):
                let configured = apply(change)
                answerSignal = .providerConfigured(configured)
                failure = configured.error
            case .configureFunctions(let signal):
                switch apply(signal) {
                case .success(let configured): answerSignal = .functionsConfigured(configured)
                case .failure(let error): (failure, failureType, isSettingFailure) = (error.message, error.type, true)
                }
            case .configureSafety(let signal):
                switch apply(signal) {
                case .success(let configured): answerSignal = .safetyConfigured(configured)
                case .failure(let error): (failure, failureType, isSettingFailure) = (error.message, error.type, true)
                }
            default:
                failure = "signal type '\(envelope.type.rawValue)' is not accepted on \(configuration.controlTopic)"
            }
        } catch {
            failure = error.description
            requestID = error.requestID
        }
        // Messages that are no valid setting at all are answered as a refused configuration.
        if answerSignal == nil, failureType == .invalidRequest, let failure, requestID != nil, !isSettingFailure {
            answerSignal = .providerConfigured(
                ProviderConfigured(
                    provider: configuration.provider, applied: [],
                    version: state.withLock { $0.pipeline.configVersion },
                    instance: configuration.instanceID, error: failure, requestID: requestID
                ))
        }
        if let failure {
            logger.warning(
                "control message not applied",
                metadata: [
                    LogKey.partition: "\(message.partition)", LogKey.offset: "\(message.offset)",
                    LogKey.reason: "\(failure)",
                ])
        }
        let replyTo = signalReplyTo ?? message.header(SignalHeader.replyTo)?.stringValue
        var outputs: [KafkaProducerMessage] = []
        if let requestID {
            if case .providerConfigured? = answerSignal, let answerSignal {
                outputs = [answers.answer(answerSignal, replyTo: replyTo, key: requestID)]
            } else if let failure {
                let error = ProviderError(
                    requestID: requestID, errorType: failureType, error: failure, retryable: false,
                    provider: configuration.provider,
                    instance: configuration.instanceID
                )
                outputs = [answers.error(error, replyTo: replyTo)]
            } else if let answerSignal {
                outputs = [answers.answer(answerSignal, replyTo: replyTo, key: requestID)]
            }
        } else if let failure, answerSignal == nil || isRefusedConfiguration(answerSignal) {
            outputs = [
                DeadLetter.message(
                    for: message, code: "notApplicable", reason: failure, worker: configuration.source,
                    topic: configuration.deadLetterTopic
                )
            ]
        }
        if !outputs.isEmpty { worker.publishAside(outputs) { _ in } }
        statusNow.fire()
    }

    /// Whether `signal` is a `provider_configured` refusing its configuration.
    private func isRefusedConfiguration(_ signal: Signal?) -> Bool {
        if case .providerConfigured(let configured)? = signal { return configured.error != nil }
        return false
    }

    /// Applies a `configure_provider` atomically: every section present replaces that part of
    /// the configuration (fields a section leaves out take their defaults); nothing is applied
    /// when a value breaks a rule (``ProviderPolicies/Change``: the configuration file's rules),
    /// and the answer's `error` names the field as `data.<field>`.
    func apply(_ change: ConfigureProvider, signals: Int = 1) -> ProviderConfigured {
        let result = state.withLock { state -> (version: Int, error: String?) in
            let pipeline = state.pipeline
            let admission = pipeline.admission
            let current = ProviderPolicies(
                rateLimit: admission.rateLimiter.policy, breaker: admission.breaker.policy,
                prices: pipeline.metrics.prices,
                models: ServedModels(admission.models.sorted(), defaultModel: admission.defaultModel),
                maxConcurrentCalls: admission.concurrency.limit
            )
            let policies: ProviderPolicies.Change
            let next: ProviderPolicies
            do throws(ProviderPolicies.Invalid) {
                policies = try ProviderPolicies.Change(change)
                next = try policies.applied(to: current)
            } catch {
                return (pipeline.configVersion, "data.\(error)")
            }
            if let limit = policies.rateLimit { state.pipeline.admission.rateLimiter.setPolicy(limit) }
            if let breaker = policies.breaker { state.pipeline.admission.breaker.setPolicy(breaker) }
            if let prices = policies.prices { state.pipeline.metrics.prices = prices }
            state.pipeline.admission.models = Set(next.models.models)
            state.pipeline.admission.defaultModel = next.models.defaultModel
            if let limit = policies.maxConcurrentCalls { state.pipeline.admission.concurrency.setLimit(limit) }
            state.pipeline.configVersion += signals
            return (state.pipeline.configVersion, nil)
        }
        if result.error == nil {
            logger.info(
                "configuration applied",
                metadata: [LogKey.sections: "\(change.sections)", LogKey.configVersion: "\(result.version)"])
        }
        return ProviderConfigured(
            provider: configuration.provider, applied: result.error == nil ? change.sections : [],
            version: result.version,
            instance: configuration.instanceID, error: result.error, requestID: change.requestID
        )
    }

    /// Applies `configure_functions`: the answer, or the reason it was refused.
    func apply(_ signal: ConfigureFunctions) -> Result<FunctionsConfigured, ProviderCallError> {
        guard provider.supportedFeatures.contains(.tools) else {
            return .failure(
                ProviderCallError(
                    type: .unsupported, message: "provider '\(configuration.provider)' does not support tools",
                    retryable: false
                ))
        }
        var seen = Set<String>()
        for (index, function) in signal.functions.enumerated() {
            guard Self.isFunctionName(function.name) else {
                return .failure(
                    .invalidRequest(
                        "data.functions[\(index)].name: '\(function.name)' must be 1-64 letters, digits, '_' or '-'"))
            }
            guard seen.insert(function.name).inserted else {
                return .failure(.invalidRequest("data.functions[\(index)].name: '\(function.name)' is defined twice"))
            }
            if let parameters = function.parameters, case .object = parameters {
            } else if function.parameters != nil {
                return .failure(.invalidRequest("data.functions[\(index)].parameters: must be a JSON Schema object"))
            }
        }
        if let choice = signal.toolChoice {
            switch choice {
            case .string(let text) where ["auto", "none", "required"].contains(text): break
            case .object(let object):
                guard case .object(let function)? = object["function"], case .string(let name)? = function["name"],
                    seen.contains(name)
                else {
                    return .failure(
                        .invalidRequest("data.tool_choice: a specific choice must name one of the configured functions")
                    )
                }
            default:
                return .failure(
                    .invalidRequest(
                        """
                        data.tool_choice: must be 'auto', 'none', 'required' or {\"type\": \"function\", \
                        \"function\": {\"name\": ...}}
                        """
                    ))
            }
        }
        state.withLock { state in
            state.pipeline.functions = signal.functions.isEmpty ? nil : signal
            state.pipeline.configVersion += 1
        }
        logger.info("functions configured", metadata: [LogKey.functions: "\(signal.functions.map(\.name))"])
        return .success(
            FunctionsConfigured(
                provider: configuration.provider, functions: signal.functions.map(\.name), requestID: signal.requestID,
                instance: configuration.instanceID
            ))
    }

    /// Applies `configure_safety` (replacing the previous settings): the answer, or the reason.
    func apply(_ signal: ConfigureSafety) -> Result<SafetyConfigured, ProviderCallError> {
        let policy: SafetyPolicy
        do {
            policy = try SafetyPolicy(signal)
        } catch {
            return .failure(.invalidRequest(error.description))
        }
        state.withLock { state in
            state.pipeline.safety = policy
            state.pipeline.configVersion += 1
        }
        logger.info(
            "safety configured",
            metadata: [
                LogKey.safetyFiltering: "\(policy.filtering.rawValue)",
                LogKey.safetyCategories: "\(policy.blockedCategories)",
                LogKey.safetyTerms: "\(policy.blockedTerms.count)",
            ])
        return .success(
            SafetyConfigured(
                provider: configuration.provider, level: signal.contentFiltering ?? signal.level,
                contentFiltering: policy.filtering.rawValue,
                blockFlaggedContent: policy.blockFlaggedContent, blockedCategories: policy.blockedCategories,
                blockedTerms: policy.blockedTerms.count, maxTokensCap: policy.maxTokensCap, requestID: signal.requestID,
                instance: configuration.instanceID
            ))
    }

    static func isFunctionName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count)
            && name.utf8.allSatisfy {
                $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") || (48...57).contains($0) || (65...90).contains($0)
                    || (97...122).contains($0)
            }
    }
}

extension ConfigureProvider {
    /// `self` with every section `later` carries replacing this one's.
    func overlaid(with later: ConfigureProvider) -> ConfigureProvider {
        var result = self
        if let value = later.rateLimit { result.rateLimit = value }
        if let value = later.circuitBreaker { result.circuitBreaker = value }
        if let value = later.prices { result.prices = value }
        if let value = later.models { result.models = value }
        if let value = later.defaultModel { result.defaultModel = value }
        if let value = later.maxConcurrentCalls { result.maxConcurrentCalls = value }
        return result
    }
}
