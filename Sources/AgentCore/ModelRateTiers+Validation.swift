public import Common

extension ModelRateTiers {
    /// The rules per-model limits must meet: a non-empty model name (or prefix), and
    /// `requests_per_minute` or `tokens_per_minute` (or both), each at least 1. Fields under
    /// `model_limits`.
    public func validate() throws(ProviderPolicies.Invalid) {
        for (model, policy) in limits.sorted(by: { $0.key < $1.key }) {
            guard !model.isEmpty else {
                throw ProviderPolicies.Invalid(["model_limits"], "a model name must not be empty")
            }
            let keys: [InvalidSetting.Key] = ["model_limits", .name(model)]
            guard policy.requestsPerWindow != nil || policy.tokensPerWindow != nil else {
                throw ProviderPolicies.Invalid(keys, "needs requests_per_minute or tokens_per_minute (or both)")
            }
            if let requests = policy.requestsPerWindow {
                try SettingRule.atLeast(requests, 1, at: keys + ["requests_per_minute"])
            }
            if let tokens = policy.tokensPerWindow {
                try SettingRule.atLeast(tokens, 1, at: keys + ["tokens_per_minute"])
            }
        }
    }
}
