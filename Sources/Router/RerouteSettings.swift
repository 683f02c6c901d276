/// How routers continue a request after a retryable error. Every member has a documented default.
public struct RerouteSettings: Sendable, Hashable {
    /// Attempts per request in total, the first included (default 3; at least 1).
    public var maxAttempts: Int
    /// Longest a request may take from the router's receipt to its final answer, when the client
    /// gives no earlier `expires_at` / `timeout_ms` (default 5 minutes).
    public var totalDeadline: Duration
    /// Wait before the second attempt (default 50 ms); doubles for every further attempt.
    public var backoffBase: Duration
    /// Longest wait between attempts from the backoff alone (default 10 s). A `retry_after` of
    /// the provider about to be tried again can be longer, within the deadline.
    public var backoffMax: Duration
    /// Model → a larger-context model to use after `context_length_exceeded` (default none; then
    /// only remaining candidates asking for another model are tried).
    public var contextFallbacks: [String: String]

    public init(
        maxAttempts: Int = 3, totalDeadline: Duration = .seconds(300), backoffBase: Duration = .milliseconds(50),
        backoffMax: Duration = .seconds(10), contextFallbacks: [String: String] = [:]
    ) {
        self.maxAttempts = maxAttempts
        self.totalDeadline = totalDeadline
        self.backoffBase = backoffBase
        self.backoffMax = backoffMax
        self.contextFallbacks = contextFallbacks
    }

    /// The wait before attempt `attempt` (2, 3, ...): `backoffBase` × 2^(attempt − 2), at most `backoffMax`.
    public func backoff(beforeAttempt attempt: Int) -> Duration {
        guard attempt > 1 else { return .zero }
        let doublings = min(attempt - 2, 30)
        let wait = backoffBase * (1 << doublings)
        return min(wait, backoffMax)
    }
}
