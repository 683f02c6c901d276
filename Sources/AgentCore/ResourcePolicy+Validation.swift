public import Common

extension ResourcePolicy {
    /// The rules machine-load thresholds must meet: sampled every 10 ms to 1 hour; every
    /// percentage in (0, 100]; a `soft_*` only with its `max_*`, and below it. Fields under
    /// `resources`.
    public func validate() throws(ProviderPolicies.Invalid) {
        try SettingRule.inRange(refreshInterval, milliseconds: 10, 3_600_000, at: ["resources", "refresh_ms"])
        try Self.validate("cpu", soft: softCPUPercent, max: maxCPUPercent)
        try Self.validate("memory", soft: softMemoryPercent, max: maxMemoryPercent)
        try Self.validate("gpu_memory", soft: softGPUMemoryPercent, max: maxGPUMemoryPercent)
    }

    private static func validate(_ resource: String, soft: Double?, max: Double?) throws(ProviderPolicies.Invalid) {
        let maxKey = "max_\(resource)_percent"
        let softKey = "soft_\(resource)_percent"
        if let max { try SettingRule.percent(max, at: ["resources", .name(maxKey)]) }
        guard let soft else { return }
        try SettingRule.percent(soft, at: ["resources", .name(softKey)])
        guard let max else {
            throw ProviderPolicies.Invalid(
                ["resources", .name(softKey)],
                "needs \(maxKey) (the load at which concurrency reaches 1 and requests are refused)"
            )
        }
        guard soft < max else {
            throw ProviderPolicies.Invalid(
                ["resources", .name(softKey)], "must be below \(maxKey) (\(max)), got \(soft)"
            )
        }
    }
}
