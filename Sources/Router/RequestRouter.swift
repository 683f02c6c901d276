public import Foundation
public import Signals

/// The router's decisions, pure: where a new request goes first, and where a request goes next
/// after a retryable error an agent handed back. Everything a later decision needs travels in
/// the request's `RouteContext`, so any router instance can make it; time, the registry and the
/// random source are passed in.
public struct RequestRouter: Sendable {
    /// What to do with a request.
    public enum Decision: Sendable, Hashable {
        /// Publish `request` to the request topic of `provider` after `delay`.
        case forward(provider: String, request: ProviderRequest, delay: Duration)
        /// Publish the final `error` to `replyTo` (`nil` = the error topic).
        case fail(ProviderError, replyTo: String?)
    }

    public var policy: RoutingPolicy
    public var settings: RerouteSettings
    /// This router, as named in route contexts and errors (`router/<instance>`).
    public var source: String

    public init(policy: RoutingPolicy, settings: RerouteSettings = RerouteSettings(), source: String) {
        self.policy = policy
        self.settings = settings
        self.source = source
    }

    // MARK: First attempt

    /// A client's request: deadline → plan → the first candidate, with the route context the
    /// next attempts need. `replyTo` is the reply topic from the message header when the request
    /// names none; `enqueuedAt` the message's timestamp (for `timeout_ms`).
    public func route<R: RandomNumberGenerator>(
        _ request: ProviderRequest, streaming: Bool = false, replyTo headerReplyTo: String? = nil, enqueuedAt: Date?,
        wallNow: Date, registry: ProviderRegistry, at now: ContinuousClock.Instant, using random: inout R
    ) -> Decision {
        let replyTo = request.replyTo ?? headerReplyTo
        func fail(
            _ type: ProviderErrorType, _ message: String, retryable: Bool = false, retryAfterMs: Int? = nil,
            field: String? = nil
        ) -> Decision {
            .fail(
                ProviderError(
                    requestID: request.requestID, errorType: type, error: message, retryable: retryable,
                    retryAfterMs: retryAfterMs, provider: request.provider, model: request.model, field: field,
                    instance: source, metadata: request.metadata), replyTo: replyTo)
        }
        if request.route != nil {
            return fail(
                .invalidRequest, "a request sent to the router must not carry a route context (routers set it)",
                field: "data.route")
        }
        if request.attempt != nil {
            return fail(
                .invalidRequest, "a request sent to the router must not carry an attempt (routers count attempts)",
                field: "data.attempt")
        }
        // 1. The total deadline: the client's, within the router's own bound.
        var deadline = wallNow.addingTimeInterval(settings.totalDeadline.seconds)
        if let text = request.expiresAt {
            guard let expires = RFC3339.date(from: text) else {
                return fail(
                    .invalidRequest, "expires_at '\(text)' is not an RFC 3339 date-time", field: "data.expires_at")
            }
            deadline = min(deadline, expires)
        }
        if let timeout = request.timeoutMs {
            deadline = min(deadline, (enqueuedAt ?? wallNow).addingTimeInterval(Double(timeout) / 1000))
        }
        guard deadline > wallNow else {
            return fail(
                .deadlineExceeded,
                "the request's deadline \(RFC3339.string(from: deadline)) passed before it was routed")
        }
        // 2. The plan.
        var asked = request
        if streaming { asked.stream = true }
        let plan: RoutePlan
        switch policy.route(asked, registry: registry, at: now, using: &random) {
        case .success(let value): plan = value
        case .failure(let error):
            return fail(error.errorType, error.message, retryable: error.retryable, retryAfterMs: error.retryAfterMs)
        }
        // At least one attempt, whatever the settings say (a budget of 0 left no first candidate).
        let maxAttempts = max(1, settings.maxAttempts)
        let targets = Array(plan.targets.prefix(maxAttempts))
        // 3. The first candidate; the rest ride along.
        let route = RouteContext(
            router: source, replyTo: replyTo, requestedModel: request.model, remaining: Array(targets.dropFirst()),
            tried: [],
            maxAttempts: maxAttempts, deadline: RFC3339.string(from: deadline),
            receivedAt: RFC3339.string(from: wallNow),
            strategy: policy.configuration.strategy.rawValue
        )
        return .forward(
            provider: targets[0].provider, request: Self.attempt(asked, target: targets[0], number: 1, route: route),
            delay: .zero)
    }

    // MARK: Later attempts

    /// A retryable error an agent handed back (`error.request` set): the next candidate after a
    /// backoff, or the final error when the attempts, the candidates or the deadline ran out.
    /// Errors without `request` are final answers, not for routers: `nil`.
    public func reroute<R: RandomNumberGenerator>(
        _ error: ProviderError, wallNow: Date, registry: ProviderRegistry, at now: ContinuousClock.Instant,
        using random: inout R
    ) -> Decision? {
        guard var request = error.request else { return nil }
        guard var route = request.route else {
            // Not a routed request after all: answer it, so nothing hangs.
            var final = error
            final.request = nil
            return .fail(final, replyTo: request.replyTo)
        }
        let number = request.effectiveAttempt
        let failed = RouteTarget(
            provider: error.provider ?? request.provider ?? "?", model: error.model ?? request.model)
        route.tried.append(
            RouteAttempt(
                attempt: number, provider: failed.provider, model: failed.model, instance: error.instance,
                errorType: error.errorType,
                error: error.error, retryAfterMs: error.retryAfterMs, at: RFC3339.string(from: wallNow)
            ))
        route.router = source
        request.route = route
        func final(_ type: ProviderErrorType, _ why: String, retryable: Bool, retryAfterMs: Int?) -> Decision {
            let history = route.tried.map {
                """
                \($0.attempt): \(RouteTarget(provider: $0.provider, model: $0.model)) \($0.errorType.rawValue) \
                (\($0.error))
                """
            }
            let final = ProviderError(
                requestID: request.requestID, errorType: type,
                error: "\(why); attempts: \(history.joined(separator: "; "))",
                retryable: retryable, retryAfterMs: retryAfterMs, provider: failed.provider, model: failed.model,
                statusCode: error.statusCode, attempt: number, instance: error.instance, metadata: request.metadata,
                route: route
            )
            return .fail(final, replyTo: route.replyTo)
        }
        let deadline = RFC3339.date(from: route.deadline) ?? wallNow
        // context_length_exceeded is not retryable on the same model (providers say so), but a
        // larger model may take it: it is rerouted, never to a model that was too small.
        guard error.retryable || error.errorType == .contextLengthExceeded else {
            return final(error.errorType, "not retryable", retryable: false, retryAfterMs: nil)
        }
        guard number < route.maxAttempts else {
            return final(
                error.errorType,
                "gave up after \(number) attempt\(number == 1 ? "" : "s") (max_attempts \(route.maxAttempts))",
                retryable: error.retryable, retryAfterMs: error.retryAfterMs)
        }
        // The next target.
        guard
            let next = nextTarget(
                after: error, failed: failed, route: &route, request: request, registry: registry, at: now,
                wallNow: wallNow, using: &random)
        else {
            let why =
                error.errorType == .contextLengthExceeded
                ? "no candidate with a larger context is left" : "no candidate is left"
            return final(
                error.errorType, why, retryable: error.errorType != .contextLengthExceeded,
                retryAfterMs: error.retryAfterMs)
        }
        // The wait: exponential backoff; a provider about to be tried again after its own
        // retry_after is waited for.
        var delay = settings.backoff(beforeAttempt: number + 1)
        if let wait = Self.retryAfter(of: next, in: route.tried, wallNow: wallNow) { delay = max(delay, wait) }
        guard wallNow.addingTimeInterval(delay.seconds) < deadline else {
            return final(
                .deadlineExceeded,
                "the deadline \(route.deadline) leaves no time for attempt \(number + 1) in \(delay)",
                retryable: false, retryAfterMs: nil)
        }
        request.route = route
        return .forward(
            provider: next.provider, request: Self.attempt(request, target: next, number: number + 1, route: route),
            delay: delay)
    }

    /// The first remaining candidate with a routable instance (else the first remaining), else —
    /// the candidates used up — the tried target whose wait ends first; after
    /// `context_length_exceeded` only a larger model. Removes the choice from `route.remaining`.
    private func nextTarget<R: RandomNumberGenerator>(
        after error: ProviderError, failed: RouteTarget, route: inout RouteContext, request: ProviderRequest,
        registry: ProviderRegistry, at now: ContinuousClock.Instant, wallNow: Date, using random: inout R
    ) -> RouteTarget? {
        if error.errorType == .contextLengthExceeded {
            // The same model fails the same way anywhere: a configured larger model, else a
            // remaining candidate asking for another model.
            let tooSmall = Set(route.tried.filter { $0.errorType == .contextLengthExceeded }.compactMap(\.model))
            if let model = failed.model, let larger = settings.contextFallbacks[model], !tooSmall.contains(larger) {
                var asked = request
                asked.model = larger
                asked.provider = nil
                asked.route = nil
                if case .success(let plan) = policy.route(asked, registry: registry, at: now, using: &random) {
                    let targets = plan.targets.map { RouteTarget(provider: $0.provider, model: $0.model ?? larger) }
                    route.remaining = Array(targets.dropFirst())
                    return targets[0]
                }
            }
            route.remaining.removeAll { $0.model == nil || tooSmall.contains($0.model!) }
            return route.remaining.isEmpty ? nil : route.remaining.removeFirst()
        }
        if !route.remaining.isEmpty {
            let live = route.remaining.firstIndex {
                registry.provider($0.provider, at: now).map { $0.routableInstances > 0 } ?? false
            }
            return route.remaining.remove(at: live ?? 0)
        }
        // Candidates used up: try again where the wait ends first — its last failure plus its
        // retry_after — so without retry_after the least recently failed target goes first
        // (not the one that just failed); the earliest tried on ties; never a model that was
        // too small.
        var seen: Set<RouteTarget> = []
        let retriable = route.tried.filter { $0.errorType != .contextLengthExceeded }.map(\.target).filter {
            seen.insert($0).inserted
        }
        return retriable.enumerated().min { a, b in
            let ea = Self.waitEnds(of: a.element, in: route.tried, wallNow: wallNow)
            let eb = Self.waitEnds(of: b.element, in: route.tried, wallNow: wallNow)
            return (ea, a.offset) < (eb, b.offset)
        }?.element
    }

    /// When `target` may be tried again: its latest failure's time plus its `retry_after_ms`
    /// (`wallNow` when the failure's time is unknown).
    static func waitEnds(of target: RouteTarget, in tried: [RouteAttempt], wallNow: Date) -> Date {
        guard let last = tried.last(where: { $0.target == target }), let at = last.at.flatMap(RFC3339.date(from:))
        else { return wallNow }
        return at.addingTimeInterval(Double(last.retryAfterMs ?? 0) / 1000)
    }

    /// How long `target` asked to be left alone, counted from now: its latest failure's
    /// `retry_after_ms` after that failure's time; `nil` when it asked nothing (or it is over).
    static func retryAfter(of target: RouteTarget, in tried: [RouteAttempt], wallNow: Date) -> Duration? {
        guard let last = tried.last(where: { $0.target == target }), let ms = last.retryAfterMs,
            let at = last.at.flatMap(RFC3339.date(from:))
        else { return nil }
        let left = at.addingTimeInterval(Double(ms) / 1000).timeIntervalSince(wallNow)
        return left > 0 ? .milliseconds(Int((left * 1000).rounded(.up))) : nil
    }

    /// `request` as attempt `number` at `target`: its model, reply topic, absolute deadline and route.
    static func attempt(_ request: ProviderRequest, target: RouteTarget, number: Int, route: RouteContext)
        -> ProviderRequest
    {
        var next = request
        next.attempt = number
        next.model = target.model ?? route.requestedModel
        next.provider = target.provider
        next.replyTo = route.replyTo
        next.expiresAt = route.deadline
        // The deadline is absolute now; a relative one would restart at every hop.
        next.timeoutMs = nil
        next.route = route
        return next
    }
}

extension Duration {
    /// In seconds, as a `Double`.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
