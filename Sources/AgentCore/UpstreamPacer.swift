/// Slows admission to what the upstream says is left, before it answers 429: follows the
/// remaining request and token budgets of its last answer, and pauses after a 429's
/// `retry_after`. One per model (upstream limits are per model). A value type: the owner
/// serialises access; time is passed in.
///
/// Rules, for one model:
/// - after a 429 with `retry_after`, nothing is admitted until it has passed;
/// - with `r` requests left (this instance's share of them) until the reset, at most `r` more are
///   admitted before the reset; when `r` is at most `slowFraction` of the limit, admissions are
///   also spread evenly over the time left (one every `reset / r`), so a burst cannot spend the
///   rest at once and the instances sharing the key keep some for each other;
/// - a request whose estimated tokens exceed the tokens left waits for the token reset;
/// - once the reset time has passed, the figures are stale: nothing is held back until the next
///   answer brings fresh ones.
public struct UpstreamPacer: Sendable {
    /// Below this fraction of the limit left, admissions are spread over the time to the reset.
    public var slowFraction: Double

    private var requestsLeft: Double?
    private var requestsLimit: Int?
    private var requestsResetAt: ContinuousClock.Instant?
    private var tokensLeft: Double?
    private var tokensResetAt: ContinuousClock.Instant?
    private var nextAllowed: ContinuousClock.Instant?
    private var pausedUntil: ContinuousClock.Instant?

    public init(slowFraction: Double = 0.1) {
        self.slowFraction = slowFraction
    }

    /// Takes the figures of an answer; `share` is this instance's part of the provider-wide
    /// budget (the upstream counts every instance using the same key).
    public mutating func observe(_ limit: UpstreamRateLimit, share: Double) {
        let share = share.isFinite ? min(1, max(0, share)) : 1
        if let remaining = limit.remainingRequests {
            requestsLeft = Double(max(0, remaining)) * share
            requestsLimit = limit.limitRequests
            requestsResetAt = limit.requestsReset.map { limit.observedAt + $0 }
        }
        if let remaining = limit.remainingTokens {
            tokensLeft = Double(max(0, remaining)) * share
            tokensResetAt = limit.tokensReset.map { limit.observedAt + $0 }
        }
    }

    /// The upstream refused with 429: nothing before `retryAfter` has passed.
    public mutating func pause(for retryAfter: Duration, at now: ContinuousClock.Instant) {
        let until = now + retryAfter
        pausedUntil = max(pausedUntil ?? until, until)
    }

    /// When the upstream was paused by a 429, until when (`nil`: not paused at `now`).
    public func paused(at now: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        pausedUntil.flatMap { $0 > now ? $0 : nil }
    }

    /// `nil` when a request estimated at `tokens` can go now; otherwise how long to wait and why.
    public func check(tokens: Int, at now: ContinuousClock.Instant) -> (retryAfter: Duration, reason: String)? {
        if let until = pausedUntil, until > now {
            return (until - now, "the upstream answered 429")
        }
        if let left = requestsLeft, let resetAt = requestsResetAt, resetAt > now {
            if left < 1 {
                return (resetAt - now, "the upstream reports no requests left until its reset")
            }
            if let nextAllowed, nextAllowed > now {
                return (nextAllowed - now, "the upstream reports few requests left; spreading them until its reset")
            }
        }
        if let left = tokensLeft, let resetAt = tokensResetAt, resetAt > now, Double(tokens) > left {
            return (resetAt - now, "the upstream reports \(Int(left)) tokens left, the request needs about \(tokens)")
        }
        return nil
    }

    /// Counts one admitted request estimated at `tokens`.
    public mutating func consume(tokens: Int, at now: ContinuousClock.Instant) {
        if let left = requestsLeft, let resetAt = requestsResetAt, resetAt > now {
            let remaining = max(0, left - 1)
            requestsLeft = remaining
            if let limit = requestsLimit, limit > 0, remaining <= Double(limit) * slowFraction, remaining >= 1 {
                nextAllowed = now + (resetAt - now) / remaining
            } else {
                nextAllowed = nil
            }
        }
        if let left = tokensLeft, let resetAt = tokensResetAt, resetAt > now {
            tokensLeft = max(0, left - Double(tokens))
        }
    }
}
