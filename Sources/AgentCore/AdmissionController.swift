public import Foundation
public import Signals

/// The admission checks before any upstream call, in the order docs/architecture.md gives:
/// deadline/expiry → rate limit → circuit breaker → concurrency → model availability.
/// A refusal is an immediate, classified error with `retryable` and `retry_after`; nothing is
/// consumed for a refused request (no rate budget, no probe slot, no concurrency slot).
/// A value type: the owner serialises access; time is passed in.
public struct AdmissionController: Sendable {
    public var rateLimiter: RateLimiter
    public var breaker: CircuitBreaker
    public var concurrency: ConcurrencyLimiter
    /// Models this provider serves; `nil` model in a request means ``defaultModel``.
    public var models: Set<String>
    public var defaultModel: String?
    /// Counted against the token budget when a request names no `max_tokens`.
    public var defaultMaxTokens: Int
    /// `retry_after` suggested when all concurrency slots are busy.
    public var overloadedRetryAfter: Duration
    /// Per-model limits (RPM / TPM tiers), enforced after the provider-wide limit.
    public private(set) var modelTiers: ModelRateTiers
    /// One limiter per model that has a tier, made on its first request.
    public private(set) var modelLimiters: [String: RateLimiter] = [:]
    /// What the upstream reported about its limits, per model.
    public private(set) var upstream: [String: UpstreamPacer] = [:]

    public init(
        rateLimiter: RateLimiter, breaker: CircuitBreaker, concurrency: ConcurrencyLimiter,
        models: Set<String>, defaultModel: String? = nil, defaultMaxTokens: Int = 1024,
        overloadedRetryAfter: Duration = .milliseconds(100), modelTiers: ModelRateTiers = .none
    ) {
        self.rateLimiter = rateLimiter
        self.breaker = breaker
        self.concurrency = concurrency
        self.models = models
        self.defaultModel = defaultModel
        self.defaultMaxTokens = defaultMaxTokens
        self.overloadedRetryAfter = overloadedRetryAfter
        self.modelTiers = modelTiers
    }

    /// An admitted request: give it back with ``finish(_:outcome:at:)``.
    public struct Ticket: Sendable, Hashable {
        public var model: String
        public var estimatedTokens: Int
        public var probe: Bool
    }

    public enum Decision: Sendable, Hashable {
        case admitted(Ticket)
        case rejected(ProviderCallError)
    }

    /// Decides on `request`. `enqueuedAt` (the Kafka message timestamp) anchors `timeout_ms`;
    /// `wallNow` is compared with `expires_at`; `now` drives the limiter and breaker.
    /// `constrained`: the machine is above a resource threshold (a local model's host) — refused
    /// right after the deadline check, before anything is consumed.
    public mutating func admit(
        _ request: ProviderRequest, enqueuedAt: Date?, wallNow: Date, at now: ContinuousClock.Instant,
        constrained: ProviderCallError? = nil
    ) -> Decision {
        // 1. Deadline / expiry.
        switch Self.deadline(of: request, enqueuedAt: enqueuedAt) {
        case .failure(let error):
            return .rejected(error)
        case .success(let deadline?) where deadline <= wallNow:
            let late = Int((wallNow.timeIntervalSince(deadline) * 1000).rounded())
            return .rejected(
                ProviderCallError(
                    type: .deadlineExceeded, message: "request expired \(late) ms before it could be admitted",
                    retryable: false
                ))
        case .success:
            break
        }
        if let constrained { return .rejected(constrained) }
        let model = request.model ?? defaultModel ?? ""
        let tokens = Self.estimatedTokens(request, defaultMaxTokens: defaultMaxTokens)

        // 2. Rate limits (checked now, consumed only once everything else admitted the request):
        //    provider-wide, the model's tier, then what the upstream said is left.
        //    A batch request leaves the policy's reserve of each budget (and of the call slots) free.
        let reserve = request.priority == .batch ? rateLimiter.policy.batchReserve : 0
        let part = reserve > 0 ? "batch requests' part (\(Int((100 * (1 - reserve)).rounded()))%) of " : ""
        if let refusal = Self.rateRefusal(
            rateLimiter.check(tokens: tokens, at: now, reserve: reserve), limiter: rateLimiter, tokens: tokens,
            scope: part + "this instance's")
        {
            return .rejected(refusal)
        }
        // The model's limiter stays in the dictionary and is changed there: a copy taken out and
        // written back would copy its request log on every call.
        // Only for models served: names a client makes up must not grow the table.
        if modelLimiters[model] == nil, models.contains(model), let policy = modelTiers.policy(for: model) {
            modelLimiters[model] = RateLimiter(policy: policy, share: rateLimiter.share)
        }
        if let limiter = modelLimiters[model],
            let refusal = Self.rateRefusal(
                limiter.check(tokens: tokens, at: now, reserve: reserve), limiter: limiter, tokens: tokens,
                scope: "model '\(model)': " + part + "this instance's")
        {
            return .rejected(refusal)
        }
        if let (retryAfter, reason) = upstream[model]?.check(tokens: tokens, at: now) {
            return .rejected(.rateLimited("model '\(model)': \(reason)", retryAfter: retryAfter))
        }

        // 3. Circuit breaker.
        let probe: Bool
        switch breaker.admit(at: now) {
        case .rejected(let retryAfter):
            return .rejected(
                ProviderCallError(
                    type: .circuitOpen, message: "circuit is \(breaker.state.rawValue) after provider failures",
                    retryable: true, retryAfter: retryAfter
                ))
        case .admitted(let isProbe):
            probe = isProbe
        }

        // 4. Concurrency.
        let keptFree = RateLimitPolicy.held(reserve, of: concurrency.limit)
        guard concurrency.tryAcquire(keepingFree: keptFree) else {
            if probe { breaker.releaseProbe() }
            let busy =
                keptFree > 0
                ? "\(concurrency.limit - keptFree) of \(concurrency.limit) concurrent call slots are busy "
                    + "(\(keptFree) kept for interactive requests)"
                : "all \(concurrency.limit) concurrent call slots are busy"
            return .rejected(
                ProviderCallError(
                    type: .overloaded, message: busy,
                    retryable: true, retryAfter: overloadedRetryAfter
                ))
        }

        // 5. Model availability.
        guard models.contains(model) else {
            concurrency.release()
            if probe { breaker.releaseProbe() }
            let known = models.sorted().joined(separator: ", ")
            let message =
                model.isEmpty
                ? "request names no model and the provider has no default"
                : "model '\(model)' is not available (available: \(known))"
            return .rejected(ProviderCallError(type: .modelUnavailable, message: message, retryable: false))
        }

        _ = rateLimiter.acquire(tokens: tokens, at: now)
        // Changed in place only when there (`dictionary[key]?.change()` on an empty dictionary
        // allocates fresh storage on every call).
        if modelLimiters[model] != nil { _ = modelLimiters[model]!.acquire(tokens: tokens, at: now) }
        if upstream[model] != nil { upstream[model]!.consume(tokens: tokens, at: now) }
        return .admitted(Ticket(model: model, estimatedTokens: tokens, probe: probe))
    }

    /// Returns the concurrency slot and tells the breaker how the call went.
    public mutating func finish(_ ticket: Ticket, outcome: CircuitBreaker.Outcome?, at now: ContinuousClock.Instant) {
        concurrency.release()
        if let outcome {
            breaker.record(outcome, probe: ticket.probe, at: now)
        } else if ticket.probe {
            breaker.releaseProbe()
        }
    }

    /// A rate limiter's refusal as the error to answer, `nil` when it admits.
    private static func rateRefusal(_ decision: RateLimiter.Decision, limiter: RateLimiter, tokens: Int, scope: String)
        -> ProviderCallError?
    {
        guard case .rejected(let dimension, let retryAfter) = decision else { return nil }
        let limit = dimension == .requests ? limiter.localRequestLimit : limiter.localTokenLimit
        let what = dimension == .requests ? "requests" : "tokens"
        guard let retryAfter else {
            return ProviderCallError(
                type: .rateLimited,
                message:
                    """
                    request needs \(tokens) tokens, more than \(scope) limit of \(limit ?? 0) \(what) per \
                    \(limiter.policy.window)
                    """,
                retryable: false
            )
        }
        return .rateLimited(
            "\(scope) limit of \(limit ?? 0) \(what) per \(limiter.policy.window) reached", retryAfter: retryAfter)
    }

    /// Re-divides the provider-wide and per-model limits after a rebalance.
    public mutating func setShare(_ share: Double) {
        rateLimiter.setShare(share)
        for model in modelLimiters.keys { modelLimiters[model]?.setShare(share) }
    }

    /// Replaces the per-model limits (counts restart for models whose limits changed).
    public mutating func setModelTiers(_ tiers: ModelRateTiers) {
        modelTiers = tiers
        for (model, limiter) in modelLimiters {
            if let policy = tiers.policy(for: model) {
                var limiter = limiter
                limiter.setPolicy(policy)
                modelLimiters[model] = limiter
            } else {
                modelLimiters[model] = nil
            }
        }
    }

    /// Takes what the upstream reported on an answer for `model`.
    public mutating func observeUpstream(_ limit: UpstreamRateLimit, model: String) {
        guard !limit.isEmpty else { return }
        upstream[model, default: UpstreamPacer()].observe(limit, share: rateLimiter.share)
    }

    /// The upstream answered 429 for `model`: pause that model for `retryAfter`.
    public mutating func pauseUpstream(model: String, for retryAfter: Duration, at now: ContinuousClock.Instant) {
        upstream[model, default: UpstreamPacer()].pause(for: retryAfter, at: now)
    }

    /// The largest token estimate (2^40).
    public static let maximumTokenEstimate = ProviderRequest.maximumTokenEstimate

    /// Prompt tokens estimated at 4 bytes per token (plus per-message overhead), plus `max_tokens`.
    public static func estimatedTokens(_ request: ProviderRequest, defaultMaxTokens: Int) -> Int {
        request.estimatedTokens(defaultMaxTokens: defaultMaxTokens)
    }

    /// The earlier of `expires_at` and enqueue time + `timeout_ms`; an unreadable `expires_at` is
    /// an invalid request.
    static func deadline(of request: ProviderRequest, enqueuedAt: Date?) -> Result<Date?, ProviderCallError> {
        var deadline: Date?
        if let text = request.expiresAt {
            guard let expires = parseRFC3339(text) else {
                return .failure(.invalidRequest("data.expires_at: '\(text)' is not an RFC 3339 time"))
            }
            deadline = expires
        }
        if let timeout = request.timeoutMs, let enqueuedAt {
            let relative = enqueuedAt.addingTimeInterval(Double(timeout) / 1000)
            deadline = deadline.map { min($0, relative) } ?? relative
        }
        return .success(deadline)
    }

    static func parseRFC3339(_ text: String) -> Date? {
        RFC3339.date(from: text)
    }
}
