import AgentCore
import Common
import Logging
import Synchronization

/// The agent's side of resource monitoring: refreshes the ``ResourceMonitor`` every
/// `refreshInterval`, refuses requests while the last sample is above a threshold and sets the
/// concurrency limit the load allows (``ResourceAdmission``).
///
/// The limit a control signal (`max_concurrent_calls`) sets is the base the load shrinks from:
/// when the limiter's limit differs from the one this governor last applied, someone else set
/// it, and it becomes the new base.
final class ResourceGovernor: Sendable {
    let monitor: ResourceMonitor
    let admission: ResourceAdmission
    private let limits: Mutex<(base: Int, applied: Int?)>

    init(policy: ResourcePolicy, configuredLimit: Int, monitor: ResourceMonitor = ResourceMonitor()) {
        self.monitor = monitor
        self.admission = ResourceAdmission(policy: policy)
        self.limits = Mutex((configuredLimit, nil))
    }

    /// The refusal for a request arriving now, if the last sample is above a threshold.
    func refusal() -> ProviderCallError? {
        guard admission.policy.constrains else { return nil }
        let base = limits.withLock { $0.base }
        if case .refuse(let error) = admission.decide(monitor.latest, configuredLimit: base) { return error }
        return nil
    }

    /// Applies the concurrency limit the last sample allows to `limiter`; the limit in force.
    func applyLimit(to limiter: inout ConcurrencyLimiter) -> Int {
        let sample = monitor.latest
        return limits.withLock { limits in
            if let applied = limits.applied, limiter.limit != applied { limits.base = limiter.limit }
            if limits.applied == nil { limits.base = limiter.limit }
            let limit: Int
            switch admission.decide(sample, configuredLimit: limits.base) {
            case .admit(let allowed): limit = allowed
            // Refused anyway; keep the slots at one so a recovery needs no new decision.
            case .refuse: limit = 1
            }
            limiter.setLimit(limit)
            limits.applied = limit
            return limit
        }
    }

    /// Refreshes every `refreshInterval` until cancelled, applying the limit after each sample.
    func run(state: AgentState, logger: Logger) async {
        while !Task.isCancelled {
            let sample = await monitor.refresh()
            let (before, after) = state.withLock { state -> (Int, Int) in
                let before = state.pipeline.admission.concurrency.limit
                return (before, applyLimit(to: &state.pipeline.admission.concurrency))
            }
            if before != after {
                logger.info(
                    "concurrency limit follows the load",
                    metadata: [
                        LogKey.concurrencyLimit: "\(after)", LogKey.previousConcurrencyLimit: "\(before)",
                        LogKey.cpuPercent: "\(sample.cpuPercent.map { "\($0)" } ?? "unknown")",
                        LogKey.memoryPercent: "\(sample.memory.map { "\($0.usedPercent)" } ?? "unknown")",
                    ])
            }
            try? await Task.sleep(for: admission.policy.refreshInterval)
        }
    }
}
