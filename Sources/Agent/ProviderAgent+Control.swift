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
            try await reader.readToEnd(all) { message in
                switch try? decoder.decode(message.value).signal {
                case .configureProvider(let change)?:
                    merged = merged.map { $0.overlaid(with: change) } ?? change
                    replayed += 1
                default:
                    logger.info("control message not applied", metadata: [
                        "kafka.partition": "\(message.partition)", "kafka.offset": "\(message.offset)", "agent.reason": "not a valid configure_provider",
                    ])
                }
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

    /// Applies one control message. Live messages (not the replay at start) are answered with
    /// `provider_configured` when they carry a request id, and a fresh status is published; a
    /// live message that cannot be applied is answered with the reason (or dead-lettered when
    /// it has no request id).
    func applyControl(_ message: KafkaConsumerMessage, live: Bool) {
        let outcome: (configured: ProviderConfigured?, failure: String?)
        do {
            let envelope = try decoder.decode(message.value)
            switch envelope.signal {
            case .configureProvider(let change):
                outcome = (apply(change), nil)
            default:
                let reason = "signal type '\(envelope.type.rawValue)' is not accepted on \(configuration.controlTopic)"
                outcome = (envelope.signal.requestID.map {
                    ProviderConfigured(provider: configuration.provider, applied: [], version: state.withLock { $0.configVersion }, instance: configuration.instanceID, error: reason, requestID: $0)
                }, reason)
            }
        } catch {
            let reason = error.description
            outcome = (error.requestID.map {
                ProviderConfigured(provider: configuration.provider, applied: [], version: state.withLock { $0.configVersion }, instance: configuration.instanceID, error: reason, requestID: $0)
            }, reason)
        }
        if let failure = outcome.failure ?? outcome.configured?.error {
            logger.info("control message not applied", metadata: [
                "kafka.partition": "\(message.partition)", "kafka.offset": "\(message.offset)", "agent.reason": "\(failure)",
            ])
        }
        guard live else { return }
        let replyTo = message.header(SignalHeader.replyTo)?.stringValue
        let answers: [KafkaProducerMessage]
        if let configured = outcome.configured {
            answers = configured.requestID == nil ? [] : [answer(.providerConfigured(configured), to: replyTo ?? configuration.responseTopic, key: configured.requestID)]
        } else if let failure = outcome.failure {
            answers = [deadLetter(message, reason: failure)]
        } else {
            answers = []
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
