import AgentCore
import Common
import Foundation
import Kafka
import Logging
import Signals

// The local providers' signals: `load_model` → `model_loaded`, `unload_model` →
// `model_unloaded`, `get_resource_status` → `resource_status`, `list_available_models` →
// `available_models`. Answers go to the signal's `reply_to` (or `reply-to` header), else
// `llm.responses`; failures as `provider_error` with the request id to `reply_to`, else
// `llm.errors`. A provider without local model management answers `unsupported`.
extension AgentHandler {
    func handleLocal(_ signal: Signal, from message: KafkaConsumerMessage) async -> KafkaProducerMessage {
        let target = signal.replyTo ?? message.header(SignalHeader.replyTo)?.stringValue
        let answerID = signal.requestID ?? message.header(SignalHeader.requestID)?.stringValue
        let signalName = signal.type.rawValue
        guard let manager = provider as? any LocalModelManaging else {
            return localError(
                .init(
                    type: .unsupported,
                    message:
                        """
                        \(signalName) is not supported by provider '\(configuration.provider)': its backend does \
                        not manage local models
                        """,
                    retryable: false),
                requestID: answerID, model: nil, replyTo: target
            )
        }
        do throws(ProviderCallError) {
            let answer: Signal
            switch signal {
            case .loadModel(let command):
                answer = .modelLoaded(try await load(command, with: manager, requestID: answerID))
            case .unloadModel(let command):
                let freed = try await manager.unload(model: command.model)
                logger.info("model unloaded", metadata: [LogKey.model: "\(command.model)"])
                answer = .modelUnloaded(
                    ModelLoaded(
                        provider: configuration.provider, model: command.model, memoryBytes: freed, requestID: answerID,
                        instance: configuration.instanceID
                    ))
            case .getResourceStatus:
                answer = .resourceStatus(try await resourceStatus(with: manager, requestID: answerID))
            default:
                let loaded = Set(try await manager.loadedModels().map(\.name))
                let models = try await manager.availableModels().map { model in
                    AvailableModels.Model(
                        name: model.name, loaded: loaded.contains(model.name), sizeBytes: model.sizeBytes,
                        family: model.family, contextLength: model.contextLength
                    )
                }
                answer = .availableModels(
                    AvailableModels(
                        provider: configuration.provider, models: models, requestID: answerID,
                        instance: configuration.instanceID))
            }
            return answers.answer(answer, replyTo: target, key: answerID)
        } catch {
            var model: String?
            if case .loadModel(let command) = signal { model = command.model }
            if case .unloadModel(let command) = signal { model = command.model }
            logger.warning(
                "local signal failed",
                metadata: [
                    LogKey.signalType: "\(signalName)", LogKey.errorType: "\(error.type.rawValue)",
                    LogKey.reason: "\(error.message)",
                ])
            return localError(error, requestID: answerID, model: model, replyTo: target)
        }
    }

    private func load(_ command: ModelCommand, with manager: any LocalModelManaging, requestID: String?)
        async throws(ProviderCallError) -> ModelLoaded
    {
        guard !command.model.isEmpty else { throw .invalidRequest("model must not be empty") }
        // Ollama's keep_alive 0 means "unload now"; negative means "keep loaded".
        if command.keepAliveS == 0 {
            throw .invalidRequest(
                """
                keep_alive_s: 0 would unload the model at once; use unload_model, a positive number of seconds, or \
                -1 to keep it loaded
                """
            )
        }
        let loaded = try await manager.load(model: command.model, keepAlive: command.keepAliveS.map { .seconds($0) })
        if let duration = loaded.loadDuration {
            state.withLock { $0.pipeline.metrics.recordLoad(model: command.model, duration: duration) }
        }
        logger.info(
            "model loaded",
            metadata: [
                LogKey.model: "\(command.model)",
                LogKey.loadMs: "\(loaded.loadDuration.map { "\($0.milliseconds)" } ?? "unknown")",
            ])
        return ModelLoaded(
            provider: configuration.provider, model: command.model, durationMs: loaded.loadDuration?.milliseconds,
            memoryBytes: loaded.sizeBytes, requestID: requestID, instance: configuration.instanceID
        )
    }

    private func resourceStatus(with manager: any LocalModelManaging, requestID: String?)
        async throws(ProviderCallError) -> ResourceStatus
    {
        let loaded = try await manager.loadedModels().map(\.name)
        // Before the first periodic refresh (or with sampling stopped), sample now.
        let cached = resources.monitor.latest
        let sample: ResourceSample
        if let cached { sample = cached } else { sample = await resources.monitor.refresh() }
        return ResourceStatus(
            provider: configuration.provider, loadedModels: loaded,
            memoryTotalBytes: sample.memory?.totalBytes, memoryUsedBytes: sample.memory?.usedBytes,
            gpuMemoryTotalBytes: sample.gpu?.memoryTotalBytes, gpuMemoryUsedBytes: sample.gpu?.memoryUsedBytes,
            cpuPercent: sample.cpuPercent, inFlight: state.withLock { $0.pipeline.tracker.count },
            requestID: requestID, instance: configuration.instanceID
        )
    }

    private func localError(_ error: ProviderCallError, requestID: String?, model: String?, replyTo: String?)
        -> KafkaProducerMessage
    {
        let signal = ProviderError(
            requestID: requestID ?? "", errorType: error.type, error: error.message, retryable: error.retryable,
            retryAfterMs: error.retryAfter.map { Int(saturating: $0.milliseconds.rounded(.up)) },
            provider: configuration.provider,
            model: model, instance: configuration.instanceID
        )
        return answers.error(signal, replyTo: replyTo)
    }
}
