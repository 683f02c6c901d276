public import Common

extension CircuitBreakerPolicy {
    /// The rules a breaker policy must meet, whatever set it (file, option, `configure_provider`).
    /// Fields under `circuit_breaker`.
    public func validate() throws(ProviderPolicies.Invalid) {
        try SettingRule.atLeast(consecutiveFailures, 1, at: ["circuit_breaker", "consecutive_failures"])
        if let threshold = failureRateThreshold {
            try SettingRule.fraction(threshold, at: ["circuit_breaker", "failure_rate_threshold"])
        }
        try SettingRule.atLeast(minimumRequests, 1, at: ["circuit_breaker", "minimum_requests"])
        try SettingRule.atLeast(rateWindowSize, 1, at: ["circuit_breaker", "rate_window_size"])
        // The rate rule looks at the last rate_window_size outcomes only: it could never fire.
        if failureRateThreshold != nil, minimumRequests > rateWindowSize {
            throw ProviderPolicies.Invalid(
                ["circuit_breaker", "minimum_requests"],
                "must be <= rate_window_size (\(rateWindowSize)), got \(minimumRequests): "
                    + "the failure rate rule could never open the circuit"
            )
        }
        try SettingRule.atLeast(openTimeout, milliseconds: 1, at: ["circuit_breaker", "open_timeout_ms"])
        try SettingRule.atLeast(halfOpenMaxProbes, 1, at: ["circuit_breaker", "half_open_max_probes"])
        try SettingRule.atLeast(halfOpenSuccessesToClose, 1, at: ["circuit_breaker", "half_open_successes_to_close"])
    }
}

extension CircuitBreakerPolicy.FailureKind {
    /// The failure kinds `names` stand for (`upstream_5xx`, ...); an unknown one is an error at
    /// `circuit_breaker.counted_failures[i]` listing the known ones. `[]` counts nothing.
    public static func named(_ names: [String]) throws(ProviderPolicies.Invalid) -> Set<Self> {
        var kinds = Set<Self>()
        for (index, name) in names.enumerated() {
            let keys: [InvalidSetting.Key] = ["circuit_breaker", "counted_failures", .index(index)]
            let kind: Self = try SettingRule.named(name, "failure kind", at: keys)
            kinds.insert(kind)
        }
        return kinds
    }
}
