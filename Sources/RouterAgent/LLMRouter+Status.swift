import Foundation
import Kafka
import Logging
public import Router
import Signals

// The provider registry: every router reads all of `llm.status`.
extension LLMRouter {
    /// Follows the status topic in the background; ``stop()`` ends it.
    struct StatusFollower: Sendable {
        let reader: KafkaConsumer
        let tasks: [Task<Void, Never>]

        func stop() async {
            for task in tasks { task.cancel() }
            try? await reader.close()
            for task in tasks { await task.value }
        }
    }

    /// Reads the whole status topic before returning (the registry as the compacted topic has
    /// it: each instance's last status, aged by its timestamp so that long-gone instances are
    /// stale at once), then keeps applying what arrives and prunes instances silent for longer
    /// than `forgetAfter`.
    func followStatus() async throws(KafkaError) -> StatusFollower {
        let reader = try KafkaConsumer(configuration: configuration.statusReaderConfiguration, logger: logger)
        let topic = configuration.statusTopic
        do {
            let metadata = try await reader.metadata(timeout: configuration.connectTimeout)
            for required in [configuration.routerRequestTopic, configuration.errorTopic, configuration.deadLetterTopic] {
                _ = try metadata.partitionCount(of: required)
            }
            let partitions = try metadata.partitionCount(of: topic)
            let all = Set((0..<partitions).map { TopicPartition(topic: topic, partition: Int32($0)) })
            try await reader.readToEnd(all, timeout: max(configuration.connectTimeout, .seconds(30))) { message in
                self.applyStatus(message, aged: true)
            }
        } catch {
            try? await reader.close()
            throw error
        }
        let known = state.withLock { $0.registry.providerNames }
        logger.info("provider registry read", metadata: ["router.providers": "\(known)"])
        let follow = Task { [logger] in
            do {
                for try await message in reader.messages {
                    self.applyStatus(message, aged: false)
                }
            } catch {
                logger.info("status topic no longer followed", metadata: ["kafka.error": "\(error)"])
            }
        }
        let prune = Task { [forgetAfter = configuration.forgetAfter] in
            while !Task.isCancelled {
                guard (try? await Task.sleep(for: .seconds(30))) != nil else { return }
                let forgotten = self.state.withLock { $0.registry.forget(olderThan: forgetAfter, at: .now) }
                if !forgotten.isEmpty { self.logger.info("silent instances forgotten", metadata: ["router.instances": "\(forgotten)"]) }
            }
        }
        return StatusFollower(reader: reader, tasks: [follow, prune])
    }

    /// Applies one `provider_status`. `aged`: stamped with its age by the message timestamp
    /// (the replay at start), else received now.
    func applyStatus(_ message: KafkaConsumerMessage, aged: Bool) {
        guard case .providerStatus(let status)? = try? decoder.decode(message.value).signal else { return }
        var receivedAt = ContinuousClock.now
        if aged, let timestamp = message.timestampMilliseconds {
            let age = max(0, Date().timeIntervalSince1970 * 1000 - Double(timestamp))
            receivedAt = receivedAt - .milliseconds(Int64(age))
        }
        let change = state.withLock { $0.registry.apply(status, receivedAt: receivedAt) }
        if !aged, case .registered = change {
            logger.info("provider instance registered", metadata: ["router.provider": "\(status.provider)", "router.instance": "\(status.instance ?? status.provider)"])
        }
    }

    /// Partitions of `llm.router.requests` and `llm.errors` this instance owns now (0 before it joined the group).
    public var assignedPartitions: Int {
        state.withLock { $0.window.owned.count }
    }

    /// The providers as this router sees them now.
    public var providers: [ProviderSummary] {
        state.withLock { $0.registry.providers(at: .now) }
    }
}
