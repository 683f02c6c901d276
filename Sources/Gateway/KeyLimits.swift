public import AgentCore

/// Every key's rate limit at this gateway: each key with a limit gets a limiter enforcing this
/// instance's share of it (one over the live gateways, rounded down as the agents' shares are, so
/// the instances together never admit more than the limit). A plain value, the clock given by
/// the caller.
public struct KeyLimits: Sendable {
    private var limiters: [String: RateLimiter]
    public private(set) var share: Double

    public init(keys: [GatewayKey], share: Double = 1) {
        self.share = share
        limiters = [:]
        for key in keys {
            if let limit = key.rateLimit { limiters[key.name] = RateLimiter(policy: limit, share: share) }
        }
    }

    /// Admits one request of `key` costing `tokens`, or says which budget is spent and when to
    /// retry. A key without a limit is always admitted.
    public mutating func admit(_ key: String, tokens: Int, at now: ContinuousClock.Instant) -> RateLimiter.Decision {
        guard limiters[key] != nil else { return .admitted }
        return limiters[key]!.acquire(tokens: tokens, at: now)
    }

    /// The limit `key` has at this instance now (requests per window), for error messages.
    public func localRequestLimit(_ key: String) -> Int? { limiters[key]?.localRequestLimit }

    /// A new share (the live gateways changed); what was counted stays.
    public mutating func setShare(_ share: Double) {
        guard share != self.share else { return }
        self.share = share
        for name in limiters.keys { limiters[name]!.setShare(share) }
    }
}
