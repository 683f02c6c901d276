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

    /// Applies the whole control topic (its current configuration) before returning, then keeps
    /// applying what arrives.
    func followControlTopic() async throws(KafkaError) -> ControlFollower {
        let reader = try KafkaConsumer(configuration: configuration.readerConfiguration(purpose: "control"), logger: logger)
        let partitions = try await reader.metadata().partitionCount(of: configuration.controlTopic)
        let all = Set((0..<partitions).map { TopicPartition(topic: configuration.controlTopic, partition: Int32($0)) })
        do {
            try await reader.readToEnd(all) { message in
                self.applyControl(message, live: false)
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
    /// `provider_configured` when they carry a request id, and a fresh status is published.
    func applyControl(_ message: KafkaConsumerMessage, live: Bool) {
        // TODO(control): filled in with configure_provider.
        _ = message
        _ = live
    }
}
