/// How a provider's requests and tokens are limited (the whole provider, across all its instances).
///
/// `requestsPerWindow` limits requests (RPM for a one-minute window); `tokensPerWindow` limits
/// tokens (TPM): a request costs its estimated prompt tokens plus `max_tokens`. Either may be
/// `nil` (unlimited). An instance enforces its share of these limits (see ``RateLimiter/share``).
public struct RateLimitPolicy: Sendable, Hashable, Codable {
    public enum Strategy: String, Sendable, Hashable, Codable, CaseIterable {
        /// Counts reset at fixed window boundaries (aligned to the first request).
        case fixedWindow = "fixed_window"
        /// Exact sliding window over the last `window` (a log of admitted requests).
        case slidingWindow = "sliding_window"
        /// Continuous refill at `limit / window`, bursts up to `limit`.
        case tokenBucket = "token_bucket"
    }

    public var strategy: Strategy
    public var requestsPerWindow: Int?
    public var tokensPerWindow: Int?
    public var window: Duration

    public init(
        strategy: Strategy = .slidingWindow, requestsPerWindow: Int? = nil, tokensPerWindow: Int? = nil,
        window: Duration = .seconds(60)
    ) {
        self.strategy = strategy
        self.requestsPerWindow = requestsPerWindow
        self.tokensPerWindow = tokensPerWindow
        self.window = window
    }
}
