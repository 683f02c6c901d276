/// How a provider's requests and tokens are limited (the whole provider, across all its instances).
///
/// `requestsPerWindow` limits requests (RPM for a one-minute window); `tokensPerWindow` limits
/// tokens (TPM): a request costs its estimated prompt tokens plus `max_tokens`. Either may be
/// `nil` (unlimited). An instance enforces its share of these limits (see ``RateLimiter/share``).
///
/// `batchReserve` is the part of each limit (and of the call slots) that requests of priority
/// `batch` leave free for interactive ones: 0.2 admits batch requests up to 80% of each budget.
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
    /// 0 ..< 1: the part of every budget batch requests may not take.
    public var batchReserve: Double

    /// The reserve when none is set: a fifth of every budget stays free for interactive requests.
    public static let defaultBatchReserve = 0.2

    /// What a reserve of `reserve` (0 ..< 1) keeps free of `limit` (requests, tokens or call
    /// slots): rounded down, and never the whole of it (a limit of 1 is never wholly reserved).
    public static func held(_ reserve: Double, of limit: Int) -> Int {
        guard reserve > 0, limit > 0 else { return 0 }
        return min(limit - 1, Int((Double(limit) * min(reserve, 1)).rounded(.down)))
    }

    public init(
        strategy: Strategy = .slidingWindow, requestsPerWindow: Int? = nil, tokensPerWindow: Int? = nil,
        window: Duration = .seconds(60), batchReserve: Double = Self.defaultBatchReserve
    ) {
        self.strategy = strategy
        self.requestsPerWindow = requestsPerWindow
        self.tokensPerWindow = tokensPerWindow
        self.window = window
        self.batchReserve = batchReserve
    }
}
