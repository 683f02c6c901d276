public import Common

extension RateLimitPolicy {
    /// The rules a rate limit must meet, whatever set it (file, option, `configure_provider`):
    /// limits and the window at least 1, the batch reserve in 0 ..< 1. Fields under `rate_limit`.
    public func validate() throws(ProviderPolicies.Invalid) {
        if let requests = requestsPerWindow {
            try SettingRule.atLeast(requests, 1, at: ["rate_limit", "requests_per_window"])
        }
        if let tokens = tokensPerWindow {
            try SettingRule.atLeast(tokens, 1, at: ["rate_limit", "tokens_per_window"])
        }
        try SettingRule.atLeast(window, milliseconds: 1, at: ["rate_limit", "window_ms"])
        try SettingRule.reserve(batchReserve, at: ["rate_limit", "batch_reserve"])
    }
}

extension RateLimitPolicy.Strategy {
    /// The strategy `name` stands for (`sliding_window`, ...), or an error at `rate_limit.strategy`
    /// listing the known ones.
    public init(named name: String) throws(ProviderPolicies.Invalid) {
        self = try SettingRule.named(name, "strategy", at: ["rate_limit", "strategy"])
    }
}
