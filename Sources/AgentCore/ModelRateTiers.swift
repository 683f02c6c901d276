/// Per-model request and token limits (RPM / TPM) of the upstream account, matched by model name
/// or family prefix (the longest matching key wins: `gpt-4o-mini` before `gpt-4o` before `gpt-`).
/// Enforced per model in addition to the provider-wide limit, shared across instances like it.
public struct ModelRateTiers: Sendable, Hashable {
    /// Model or family prefix → its limits.
    public var limits: [String: RateLimitPolicy]

    public init(_ limits: [String: RateLimitPolicy] = [:]) {
        self.limits = limits
    }

    /// No per-model limits.
    public static let none = ModelRateTiers()

    /// The limits for `model`: the longest key that is the model or a prefix of it.
    public func policy(for model: String) -> RateLimitPolicy? {
        var best: (key: String, policy: RateLimitPolicy)?
        for (key, policy) in limits where model.hasPrefix(key) && key.count > (best?.key.count ?? -1) {
            best = (key, policy)
        }
        return best?.policy
    }

    /// These limits with `overrides` laid over them (a key in both takes the override's).
    public func merging(_ overrides: ModelRateTiers) -> ModelRateTiers {
        ModelRateTiers(limits.merging(overrides.limits) { _, new in new })
    }

    private static func perMinute(_ requests: Int, _ tokens: Int) -> RateLimitPolicy {
        RateLimitPolicy(
            strategy: .slidingWindow, requestsPerWindow: requests, tokensPerWindow: tokens, window: .seconds(60))
    }

    /// Conservative defaults per OpenAI model family, in the spirit of a new account's first usage
    /// tier (tokens counted as prompt estimate + `max_tokens`). Override them in configuration
    /// (`model_limits`) with the account's real tier.
    public static let openAIDefaults = ModelRateTiers([
        "gpt-": perMinute(500, 30_000),
        "gpt-3.5-turbo": perMinute(3_500, 200_000),
        "gpt-4": perMinute(500, 10_000),
        "gpt-4-turbo": perMinute(500, 30_000),
        "gpt-4o": perMinute(500, 30_000),
        "gpt-4o-mini": perMinute(500, 200_000),
        "gpt-4.1": perMinute(500, 30_000),
        "gpt-4.1-mini": perMinute(500, 200_000),
        "gpt-4.1-nano": perMinute(500, 200_000),
        "o1": perMinute(500, 30_000),
        "o3": perMinute(500, 30_000),
        "o3-mini": perMinute(1_000, 100_000),
        "o4-mini": perMinute(1_000, 100_000),
    ])

    /// Conservative defaults per Anthropic model family (a first-tier account: 50 requests per
    /// minute; input + output tokens per minute).
    public static let anthropicDefaults = ModelRateTiers([
        "claude-": perMinute(50, 38_000),
        "claude-3-haiku": perMinute(50, 58_000),
        "claude-3-5-haiku": perMinute(50, 58_000),
        "claude-haiku": perMinute(50, 58_000),
    ])
}
