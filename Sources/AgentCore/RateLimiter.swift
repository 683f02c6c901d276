import DequeModule

/// Admission by request and token budgets over a time window, with pre-emptive rejection that
/// says when to retry. A value type: the owner serialises access. Time is passed in (`at:`), so
/// tests drive it without sleeping.
public struct RateLimiter: Sendable {
    public enum Dimension: String, Sendable, Hashable {
        case requests, tokens
    }

    public enum Decision: Sendable, Hashable {
        case admitted
        /// Over the limit in `dimension`; retrying after `retryAfter` can succeed.
        /// `retryAfter` is `nil` when the request can never fit (it alone exceeds the limit).
        case rejected(dimension: Dimension, retryAfter: Duration?)

        public var isAdmitted: Bool { self == .admitted }
    }

    public private(set) var policy: RateLimitPolicy
    /// This instance's fraction of the provider-wide limits (0...1): the partitions it owns
    /// divided by the topic's partitions.
    public private(set) var share: Double

    private var requests: Budget?
    private var tokens: Budget?

    public init(policy: RateLimitPolicy, share: Double = 1) {
        self.policy = policy
        self.share = Self.clamp(share)
        rebuild()
    }

    /// The request limit this instance enforces (its share of the global one), `nil` if unlimited.
    public var localRequestLimit: Int? { policy.requestsPerWindow.map { Self.local($0, share) } }
    /// The token limit this instance enforces, `nil` if unlimited.
    public var localTokenLimit: Int? { policy.tokensPerWindow.map { Self.local($0, share) } }

    /// What ``acquire(tokens:at:)`` would decide, without consuming anything. With a `reserve`
    /// (0 ..< 1), that part of each budget must stay free after the request: a batch request's check.
    public func check(tokens cost: Int = 0, at now: ContinuousClock.Instant, reserve: Double = 0) -> Decision {
        var copy = self
        return copy.decide(tokens: cost, at: now, reserve: reserve)
    }

    /// Admits one request costing `tokens` tokens, or says which budget is exhausted and when to retry.
    public mutating func acquire(tokens cost: Int = 0, at now: ContinuousClock.Instant) -> Decision {
        let decision = decide(tokens: cost, at: now, reserve: 0)
        if decision == .admitted {
            requests?.consume(amount: 1, at: now)
            tokens?.consume(amount: max(0, cost), at: now)
        }
        return decision
    }

    private mutating func decide(tokens cost: Int, at now: ContinuousClock.Instant, reserve: Double) -> Decision {
        let requestHeadroom = RateLimitPolicy.held(reserve, of: requests?.limit ?? 0)
        let tokenHeadroom = RateLimitPolicy.held(reserve, of: tokens?.limit ?? 0)
        let requestCheck = requests?.check(amount: 1, headroom: requestHeadroom, at: now) ?? .fits
        let tokenCheck = tokens?.check(amount: max(0, cost), headroom: tokenHeadroom, at: now) ?? .fits
        switch (requestCheck, tokenCheck) {
        case (.fits, .fits):
            return .admitted
        case (.never, _):
            return .rejected(dimension: .requests, retryAfter: nil)
        case (_, .never):
            return .rejected(dimension: .tokens, retryAfter: nil)
        case (.wait(let first), .wait(let second)):
            return first >= second
                ? .rejected(dimension: .requests, retryAfter: first)
                : .rejected(dimension: .tokens, retryAfter: second)
        case (.wait(let delay), .fits):
            return .rejected(dimension: .requests, retryAfter: delay)
        case (.fits, .wait(let delay)):
            return .rejected(dimension: .tokens, retryAfter: delay)
        }
    }

    /// Requests counted in the current window (for status: `rate_limiter.current_count`).
    public func currentRequests(at now: ContinuousClock.Instant) -> Int {
        requests?.used(at: now) ?? 0
    }

    /// Tokens counted in the current window.
    public func currentTokens(at now: ContinuousClock.Instant) -> Int {
        tokens?.used(at: now) ?? 0
    }

    /// Fraction of the local request (or, without one, token) budget in use, 0...1.
    public func utilisation(at now: ContinuousClock.Instant) -> Double {
        if let limit = localRequestLimit, limit > 0 { return min(1, Double(currentRequests(at: now)) / Double(limit)) }
        if let limit = localTokenLimit, limit > 0 { return min(1, Double(currentTokens(at: now)) / Double(limit)) }
        return 0
    }

    /// Re-divides the limits after a rebalance; usage already counted is kept.
    public mutating func setShare(_ share: Double) {
        self.share = Self.clamp(share)
        let requestLimit = localRequestLimit ?? 0
        let tokenLimit = localTokenLimit ?? 0
        requests?.limit = requestLimit
        tokens?.limit = tokenLimit
    }

    /// Applies a new policy (from a control signal); counts restart when the strategy or window changes.
    public mutating func setPolicy(_ policy: RateLimitPolicy) {
        let restart =
            policy.strategy != self.policy.strategy || policy.window != self.policy.window
            || (policy.requestsPerWindow == nil) != (self.policy.requestsPerWindow == nil)
            || (policy.tokensPerWindow == nil) != (self.policy.tokensPerWindow == nil)
        self.policy = policy
        if restart {
            rebuild()
        } else {
            setShare(share)
        }
    }

    private mutating func rebuild() {
        requests = localRequestLimit.map { Budget(strategy: policy.strategy, limit: $0, window: policy.window) }
        tokens = localTokenLimit.map { Budget(strategy: policy.strategy, limit: $0, window: policy.window) }
    }

    private static func clamp(_ share: Double) -> Double {
        share.isFinite ? min(1, max(0, share)) : 1
    }

    /// Rounded down, so that the instances' shares never add up to more than the global limit.
    /// A share is a ratio of partition counts, and the product can land a hair below the whole
    /// number it stands for (600 × 11/15 = 439.99999999999994): that is rounded to the whole
    /// number, not down to one request less. (A true fraction is at least 1/partitions away from
    /// a whole number, far more than the tolerance.)
    private static func local(_ global: Int, _ share: Double) -> Int {
        let exact = Double(global) * share
        let nearest = exact.rounded()
        let value = abs(exact - nearest) <= 1e-9 * max(1, exact) ? nearest : exact.rounded(.down)
        return max(0, Int(value))
    }
}

/// One budget (requests or tokens) under one strategy.
struct Budget: Sendable {
    enum Check: Sendable, Equatable {
        case fits
        case wait(Duration)
        case never
    }

    let strategy: RateLimitPolicy.Strategy
    var limit: Int
    let window: Duration

    // fixed window
    private var windowStart: ContinuousClock.Instant?
    private var windowUsed = 0
    // sliding window: admitted amounts with their time, oldest first
    private var log = Deque<(at: ContinuousClock.Instant, amount: Int)>()
    private var logTotal = 0
    // token bucket
    private var available: Double = 0
    private var refilledAt: ContinuousClock.Instant?

    init(strategy: RateLimitPolicy.Strategy, limit: Int, window: Duration) {
        self.strategy = strategy
        self.limit = limit
        self.window = window
        self.available = Double(limit)
    }

    /// Whether `amount` fits while `headroom` of the limit stays free after it.
    mutating func check(amount: Int, headroom: Int = 0, at now: ContinuousClock.Instant) -> Check {
        let limit = self.limit - max(0, headroom)
        if amount > limit { return .never }
        switch strategy {
        case .fixedWindow:
            roll(at: now)
            if windowUsed + amount <= limit { return .fits }
            return .wait((windowStart ?? now).advanced(by: window) - now)
        case .slidingWindow:
            evict(at: now)
            if logTotal + amount <= limit { return .fits }
            // The earliest moment enough old entries have left the window.
            var freed = 0
            for entry in log {
                freed += entry.amount
                if logTotal - freed + amount <= limit { return .wait(entry.at.advanced(by: window) - now) }
            }
            return .wait(window)
        case .tokenBucket:
            refill(at: now)
            let free = available - Double(self.limit - limit)
            if free + 1e-9 >= Double(amount) { return .fits }
            let rate = Double(self.limit) / window.seconds
            guard rate > 0 else { return .never }
            return .wait(.seconds((Double(amount) - free) / rate))
        }
    }

    mutating func consume(amount: Int, at now: ContinuousClock.Instant) {
        switch strategy {
        case .fixedWindow:
            roll(at: now)
            windowUsed += amount
        case .slidingWindow:
            log.append((now, amount))
            logTotal += amount
        case .tokenBucket:
            refill(at: now)
            available -= Double(amount)
        }
    }

    /// Amount counted at `now` (expired usage excluded), without changing the budget.
    func used(at now: ContinuousClock.Instant) -> Int {
        var copy = self
        return copy.advance(to: now)
    }

    private mutating func advance(to now: ContinuousClock.Instant) -> Int {
        switch strategy {
        case .fixedWindow:
            roll(at: now)
            return windowUsed
        case .slidingWindow:
            evict(at: now)
            return logTotal
        case .tokenBucket:
            refill(at: now)
            return max(0, Int((Double(limit) - available).rounded(.up)))
        }
    }

    private mutating func roll(at now: ContinuousClock.Instant) {
        guard let start = windowStart else {
            windowStart = now
            return
        }
        if now >= start.advanced(by: window) {
            // Keep boundaries aligned to the first window.
            let elapsed = (now - start).seconds
            let windows = (elapsed / window.seconds).rounded(.down)
            windowStart = start.advanced(by: window * windows)
            windowUsed = 0
        }
    }

    private mutating func evict(at now: ContinuousClock.Instant) {
        while let oldest = log.first, oldest.at.advanced(by: window) <= now {
            log.removeFirst()
            logTotal -= oldest.amount
        }
    }

    private mutating func refill(at now: ContinuousClock.Instant) {
        guard let last = refilledAt else {
            refilledAt = now
            return
        }
        guard now > last else { return }
        let rate = Double(limit) / window.seconds
        available = min(Double(limit), available + (now - last).seconds * rate)
        refilledAt = now
    }
}

extension Duration {
    /// Seconds as a floating-point number.
    var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}
