/// What an upstream said about its own rate limits on one answer (OpenAI's
/// `x-ratelimit-remaining-*` / `x-ratelimit-reset-*`, Anthropic's `anthropic-ratelimit-*`),
/// relative to when the answer arrived.
public struct UpstreamRateLimit: Sendable, Hashable {
    public var limitRequests: Int?
    public var remainingRequests: Int?
    /// Until the request budget is full again.
    public var requestsReset: Duration?
    public var limitTokens: Int?
    public var remainingTokens: Int?
    /// Until the token budget is full again.
    public var tokensReset: Duration?
    /// When the answer carrying these figures arrived.
    public var observedAt: ContinuousClock.Instant

    public init(
        limitRequests: Int? = nil, remainingRequests: Int? = nil, requestsReset: Duration? = nil,
        limitTokens: Int? = nil, remainingTokens: Int? = nil, tokensReset: Duration? = nil,
        observedAt: ContinuousClock.Instant
    ) {
        self.limitRequests = limitRequests
        self.remainingRequests = remainingRequests
        self.requestsReset = requestsReset
        self.limitTokens = limitTokens
        self.remainingTokens = remainingTokens
        self.tokensReset = tokensReset
        self.observedAt = observedAt
    }

    /// Whether the answer said anything about remaining budgets.
    public var isEmpty: Bool { remainingRequests == nil && remainingTokens == nil }
}
