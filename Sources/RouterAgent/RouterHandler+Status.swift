import Common
import Foundation
import Kafka
import Router
public import Signals
import WorkerRuntime

// The provider registry: every router reads all of `llm.status`.
extension RouterHandler {
    /// Reads the whole status topic (each instance's last status, aged by its timestamp so that
    /// long-gone instances are stale at once); the router's other topics must exist.
    func readStatusTopic(_ worker: WorkerContext) async throws {
        try await statusFollower.readToEnd(timeout: max(configuration.connectTimeout, .seconds(30))) { message in
            self.applyStatus(message, aged: true)
        }
        let known = state.withLock { $0.registry.providerNames }
        logger.info("provider registry read", metadata: [LogKey.providers: "\(known)"])
    }

    /// Follows the status topic from where the first read ended, until cancelled.
    func followStatusTopic(_ worker: WorkerContext) async {
        await statusFollower.follow { message in applyStatus(message, aged: false) }
    }

    /// Drops instances silent for longer than `forgetAfter`, every 30 s until cancelled.
    func pruneRegistry() async {
        while !Task.isCancelled {
            guard (try? await Task.sleep(for: .seconds(30))) != nil else { return }
            let forgotten = state.withLock { $0.registry.forget(olderThan: configuration.forgetAfter, at: .now) }
            if !forgotten.isEmpty {
                logger.info("silent instances forgotten", metadata: [LogKey.instances: "\(forgotten)"])
            }
        }
    }

    /// Takes `status` into the registry as received now (what the status topic's follower does;
    /// for driving the handler without Kafka).
    public func observe(_ status: ProviderStatus) {
        _ = state.withLock { $0.registry.apply(status, receivedAt: .now) }
    }

    /// Applies one `provider_status`. `aged`: stamped with its age by the message timestamp
    /// (the read at start), else received now.
    func applyStatus(_ message: KafkaConsumerMessage, aged: Bool) {
        guard case .providerStatus(let status)? = try? decoder.decode(message.value).signal else { return }
        var receivedAt = ContinuousClock.now
        if aged, let timestamp = message.timestampMilliseconds {
            let age = max(0, WallClock.nowMs() - timestamp)
            receivedAt = receivedAt - .milliseconds(age)
        }
        let change = state.withLock { $0.registry.apply(status, receivedAt: receivedAt) }
        if !aged, case .registered = change {
            logger.info(
                "provider instance registered",
                metadata: [
                    LogKey.provider: "\(status.provider)", LogKey.instance: "\(status.instance ?? status.provider)",
                ])
        }
    }
}
