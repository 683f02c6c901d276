import AgentCore
import Foundation
import Kafka
import Logging
import Signals

// The control topic `llm.control.<provider>`: configuration every instance applies.
extension ProviderAgent {
    /// Follows the control topic in the background; ``stop()`` ends it.
    struct ControlFollower: Sendable {
        let reader: KafkaConsumer
        let task: Task<Void, Never>

        func stop() async {
            task.cancel()
            try? await reader.close()
            await task.value
        }
    }

    /// Applies the whole control topic (the current configuration) before returning, then keeps
    /// applying what arrives.
    func followControlTopic() async throws(KafkaError) -> ControlFollower {
        let reader = try KafkaConsumer(configuration: configuration.readerConfiguration(purpose: "control"), logger: logger)
        do {
            let partitions = try await reader.metadata(timeout: configuration.connectTimeout).partitionCount(of: configuration.controlTopic)
            let all = Set((0..<partitions).map { TopicPartition(topic: configuration.controlTopic, partition: Int32($0)) })
            // The replay is merged first — the latest value of every section — and applied once,
            // so the order compaction left the sections in does not matter.
            var merged: ConfigureProvider?
            var replayed = 0
            // configure_functions / configure_safety replace their settings whole: the last wins.
            var functions: ConfigureFunctions?
            var safety: ConfigureSafety?
            try await reader.readToEnd(all) { message in
                switch try? decoder.decode(message.value).signal {
                case .configureProvider(let change)?:
                    merged = merged.map { $0.overlaid(with: change) } ?? change
                    replayed += 1
                case .configureFunctions(let signal)?:
                    functions = signal
                case .configureSafety(let signal)?:
                    safety = signal
                default:
                    logger.info("control message not applied", metadata: [
                        "kafka.partition": "\(message.partition)", "kafka.offset": "\(message.offset)", "agent.reason": "not a valid control signal",
                    ])
                }
            }
            var failures: [ProviderCallError] = []
            if let functions, case .failure(let error) = apply(functions) { failures.append(error) }
            if let safety, case .failure(let error) = apply(safety) { failures.append(error) }
            for failure in failures {
                logger.info("control message not applied", metadata: ["agent.reason": "\(failure.message)"])
            }
            if var merged {
                let models = merged.models.map(Set.init) ?? state.withLock { $0.admission.models }
                if let model = merged.defaultModel, !models.isEmpty, !models.contains(model) {
                    logger.info("control topic default_model is not among its models, ignored", metadata: ["agent.model": "\(model)"])
                    merged.defaultModel = nil
                }
                merged.requestID = nil
                _ = apply(merged, signals: replayed)
            }
        } catch {
            try? await reader.close()
            throw error
        }
        let version = state.withLock { $0.configVersion }
        logger.info("control topic applied", metadata: ["agent.config_version": "\(version)"])
        let task = Task { [logger] in
            do {
                for try await message in reader.messages {
                    self.applyControl(message, live: true)
                }
            } catch {
                logger.info("control topic no longer followed", metadata: ["kafka.error": "\(error)"])
            }
        }
        return ControlFollower(reader: reader, task: task)
    }

    /// Applies one control message. Live messages (not the replay at start) are answered when
    /// they carry a request id (`provider_configured`, `functions_configured`,
    /// `safety_configured`, or a `provider_error` with the reason), and a fresh status is
    /// published; a live message that cannot be applied and has no request id is dead-lettered.
    func applyControl(_ message: KafkaConsumerMessage, live: Bool) {
        var answerSignal: Signal?
        var failure: String?
        var failureType = ProviderErrorType.invalidRequest
        // A configure_functions / configure_safety that could not be applied (answered with provider_error).
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
            answerSignal = .providerConfigured(ProviderConfigured(
                provider: configuration.provider, applied: [], version: state.withLock { $0.configVersion },
                instance: configuration.instanceID, error: failure, requestID: requestID
            ))
        }
        if let failure {
            logger.info("control message not applied", metadata: [
                "kafka.partition": "\(message.partition)", "kafka.offset": "\(message.offset)", "agent.reason": "\(failure)",
            ])
        }
        guard live else { return }
        let replyTo = signalReplyTo ?? message.header(SignalHeader.replyTo)?.stringValue ?? configuration.responseTopic
        var answers: [KafkaProducerMessage] = []
        if let requestID {
            if case .providerConfigured? = answerSignal, let answerSignal {
                // provider_configured carries its own error field.
                answers = [answer(answerSignal, to: replyTo, key: requestID)]
            } else if let failure {
                let error = ProviderError(requestID: requestID, errorType: failureType, error: failure, retryable: false, provider: configuration.provider, instance: configuration.instanceID)
                answers = [answer(.providerError(error), to: replyTo, key: requestID)]
            } else if let answerSignal {
                answers = [answer(answerSignal, to: replyTo, key: requestID)]
            }
        } else if let failure, answerSignal == nil {
            answers = [deadLetter(message, reason: failure)]
        }
        Task {
            _ = await self.publish(answers)
            await self.publishStatus()
        }
    }

    /// Applies a `configure_provider` atomically: every section present replaces that part of
    /// the configuration (fields a section leaves out take their defaults); nothing is applied
    /// when the result would be inconsistent.
    private func apply(_ change: ConfigureProvider, signals: Int = 1) -> ProviderConfigured {
        let result = state.withLock { state -> (version: Int, error: String?) in
            let models = change.models.map(Set.init) ?? state.admission.models
            let defaultModel = change.defaultModel ?? state.admission.defaultModel
            if let defaultModel, !models.isEmpty, !models.contains(defaultModel) {
                return (state.configVersion, "default_model '\(defaultModel)' is not one of the models \(models.sorted())")
            }
            if let limit = change.rateLimit {
                state.admission.rateLimiter.setPolicy(RateLimitPolicy(
                    strategy: RateLimitPolicy.Strategy(rawValue: limit.strategy) ?? .slidingWindow,
                    requestsPerWindow: limit.requestsPerWindow, tokensPerWindow: limit.tokensPerWindow,
                    window: .milliseconds(limit.windowMs)
                ))
            }
            if let breaker = change.circuitBreaker {
                let defaults = CircuitBreakerPolicy()
                state.admission.breaker.setPolicy(CircuitBreakerPolicy(
                    consecutiveFailures: breaker.consecutiveFailures ?? defaults.consecutiveFailures,
                    failureRateThreshold: breaker.failureRateThreshold,
                    minimumRequests: breaker.minimumRequests ?? defaults.minimumRequests,
                    rateWindowSize: breaker.rateWindowSize ?? defaults.rateWindowSize,
                    openTimeout: breaker.openTimeoutMs.map { .milliseconds($0) } ?? defaults.openTimeout,
                    halfOpenMaxProbes: breaker.halfOpenMaxProbes ?? defaults.halfOpenMaxProbes,
                    halfOpenSuccessesToClose: breaker.halfOpenSuccessesToClose ?? defaults.halfOpenSuccessesToClose,
                    countedFailures: breaker.countedFailures.map { Set($0.compactMap(CircuitBreakerPolicy.FailureKind.init(rawValue:))) } ?? defaults.countedFailures
                ))
            }
            if let prices = change.prices {
                state.metrics.prices = PriceTable(prices.mapValues { PriceTable.Price(inputPerMillion: $0.inputPerMillion, outputPerMillion: $0.outputPerMillion) })
            }
            state.admission.models = models
            state.admission.defaultModel = defaultModel
            if let limit = change.maxConcurrentCalls {
                state.admission.concurrency.setLimit(limit)
            }
            state.configVersion += signals
            return (state.configVersion, nil)
        }
        if result.error == nil {
            logger.info("configuration applied", metadata: ["agent.sections": "\(change.sections)", "agent.config_version": "\(result.version)"])
        }
        return ProviderConfigured(
            provider: configuration.provider, applied: result.error == nil ? change.sections : [], version: result.version,
            instance: configuration.instanceID, error: result.error, requestID: change.requestID
        )
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

extension ProviderAgent {
    /// A standing setting (`configure_functions`, `configure_safety`) that arrived on the request
    /// topic, re-published to the control topic so that every instance applies (and answers) it;
    /// keyed by its type, so compaction keeps the latest of each.
    func forwardToControl(_ message: KafkaConsumerMessage, type: SignalType) -> KafkaProducerMessage {
        logger.info("setting forwarded to the control topic", metadata: ["signal.type": "\(type.rawValue)", "kafka.offset": "\(message.offset)"])
        return KafkaProducerMessage(topic: configuration.controlTopic, key: Array(type.rawValue.utf8), value: message.value, headers: message.headers)
    }
}
