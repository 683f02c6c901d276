/// The admission rule of ``ResourcePolicy`` as a pure function of the last sample: refuse, or
/// admit under an effective concurrency limit.
public struct ResourceAdmission: Sendable, Hashable {
    public enum Decision: Sendable, Hashable {
        /// Admit, with this many concurrent calls at most.
        case admit(limit: Int)
        /// `resource_constrained`, naming the resource and the threshold.
        case refuse(ProviderCallError)
    }

    public var policy: ResourcePolicy

    public init(policy: ResourcePolicy) {
        self.policy = policy
    }

    /// The decision for the last `sample` (`nil`: nothing measured yet → no constraint) with
    /// `configuredLimit` concurrent calls configured.
    public func decide(_ sample: ResourceSample?, configuredLimit: Int) -> Decision {
        guard let sample else { return .admit(limit: configuredLimit) }
        let dimensions: [(name: String, key: String, value: Double?, soft: Double?, max: Double?)] = [
            ("CPU", "cpu", sample.cpuPercent, policy.softCPUPercent, policy.maxCPUPercent),
            ("memory", "memory", sample.memory?.usedPercent, policy.softMemoryPercent, policy.maxMemoryPercent),
            (
                "GPU memory", "gpu_memory", sample.gpu?.memoryUsedPercent, policy.softGPUMemoryPercent,
                policy.maxGPUMemoryPercent
            ),
        ]
        var limit = configuredLimit
        for dimension in dimensions {
            guard let value = dimension.value, let hard = dimension.max else { continue }
            if value >= hard {
                return .refuse(
                    ProviderCallError(
                        type: .resourceConstrained,
                        message:
                            """
                            \(dimension.name) use \(Self.format(value))% is at or above \
                            max_\(dimension.key)_percent \(Self.format(hard))%
                            """,
                        retryable: true, retryAfter: policy.refreshInterval
                    ))
            }
            if let soft = dimension.soft, soft < hard, value > soft, configuredLimit > 1 {
                let fraction = (value - soft) / (hard - soft)
                let shrunk = Double(configuredLimit) - Double(configuredLimit - 1) * fraction
                limit = min(limit, max(1, Int(shrunk.rounded(.down))))
            }
        }
        return .admit(limit: limit)
    }

    static func format(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}
