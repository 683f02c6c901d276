import Common
import Foundation
import Router
import Signals
import Testing

// RequestRouter: the first attempt of a client's request and every later one after an agent
// handed a retryable error back. Pure: registry instants, wall-clock dates and randomness are
// injected, so every decision below is exact.

private let t0 = ContinuousClock.now
/// Whole seconds, so RFC 3339 strings (milliseconds) round-trip exactly.
private let wall0 = Date(timeIntervalSince1970: 1_800_000_000)
private let allFeatures = ["chat", "vision", "tools", "streaming"]

private func status(
    _ provider: String, _ instance: String = "i1", models: [String], inFlight: Int = 0,
    features: [String]? = allFeatures, health: String = "healthy"
) -> ProviderStatus {
    ProviderStatus(
        provider: provider, status: health,
        circuitBreaker: .init(state: "closed", failureCount: 0),
        rateLimiter: .init(limit: 100, windowMs: 60_000, currentCount: 0),
        metrics: ProviderStatus.Metrics(totalRequests: 10, successRate: 1, inFlight: inFlight),
        instance: instance, models: models, features: features)
}

/// Providers by name with their models and load, all reported at `t0`.
private func registry(_ providers: [(name: String, models: [String], inFlight: Int)]) -> ProviderRegistry {
    var registry = ProviderRegistry()
    for entry in providers {
        registry.apply(status(entry.name, models: entry.models, inFlight: entry.inFlight), receivedAt: t0)
    }
    return registry
}

/// openai (least loaded), anthropic, local — all serving "m".
private func threeProviders() -> ProviderRegistry {
    registry([("openai", ["m"], 1), ("anthropic", ["m"], 5), ("local", ["m"], 9)])
}

private func clientRequest(
    _ id: String = "r1", model: String? = "m", provider: String? = nil, replyTo: String? = "client.replies",
    expiresAt: String? = nil, timeoutMs: Int? = nil, attempt: Int? = nil, route: RouteContext? = nil,
    image: Bool = false, tools: Bool = false, maxTokens: Int? = nil
) -> ProviderRequest {
    let content: MessageContent =
        image ? .parts([.text("look"), .imageURL(url: "https://example.com/cat.png")]) : .text("hi")
    return ProviderRequest(
        requestID: id, messages: [ChatMessage(role: .user, content: content)], model: model, maxTokens: maxTokens,
        tools: tools ? [ToolDefinition(function: FunctionDefinition(name: "f"))] : nil, expiresAt: expiresAt,
        timeoutMs: timeoutMs,
        replyTo: replyTo, provider: provider, metadata: ["job": .string("nightly")], attempt: attempt, route: route
    )
}

private func makeRouter(
    _ configuration: RoutingConfiguration = RoutingConfiguration(),
    settings: RerouteSettings = RerouteSettings()
) -> RequestRouter {
    RequestRouter(policy: RoutingPolicy(configuration), settings: settings, source: "router/test")
}

private func rfc(_ date: Date) -> String { RFC3339.string(from: date) }

extension RequestRouter {
    /// `route` with the test's defaults: received at `wall0` / `t0`, no header reply topic.
    fileprivate func first(
        _ request: ProviderRequest, streaming: Bool = false, headerReplyTo: String? = nil, enqueuedAt: Date? = wall0,
        wallNow: Date = wall0, registry: ProviderRegistry
    ) -> Decision {
        var random = SplitMix64(seed: 1)
        return route(
            request, streaming: streaming, replyTo: headerReplyTo, enqueuedAt: enqueuedAt, wallNow: wallNow,
            registry: registry, at: t0, using: &random)
    }

    fileprivate func next(after error: ProviderError, wallNow: Date = wall0, registry: ProviderRegistry) -> Decision? {
        var random = SplitMix64(seed: 1)
        return reroute(error, wallNow: wallNow, registry: registry, at: t0, using: &random)
    }
}

extension RequestRouter.Decision {
    fileprivate var forwarded: (provider: String, request: ProviderRequest, delay: Duration)? {
        if case .forward(let provider, let request, let delay) = self { return (provider, request, delay) }
        return nil
    }

    fileprivate var failure: (error: ProviderError, replyTo: String?)? {
        if case .fail(let error, let replyTo) = self { return (error, replyTo) }
        return nil
    }
}

/// What an agent hands back to the routers for a failed attempt of a routed request (as
/// `ProviderAgent.errorAnswer` builds it: its provider, the model it asked, the attempt, the request).
private func handedBack(
    _ request: ProviderRequest, _ type: ProviderErrorType, retryable: Bool = true, retryAfterMs: Int? = nil,
    message: String = "failed", instance: String = "i1"
) -> ProviderError {
    ProviderError(
        requestID: request.requestID, errorType: type, error: message, retryable: retryable, retryAfterMs: retryAfterMs,
        provider: request.provider, model: request.model, attempt: request.attempt, instance: instance,
        metadata: request.metadata, request: request)
}

@Suite struct RequestRouterFirstAttemptTests {
    @Test func firstRouteSetsAttemptOneAndTheRouteContext() throws {
        let decision = makeRouter().first(clientRequest(), registry: threeProviders())
        let (provider, request, delay) = try #require(decision.forwarded)
        #expect(provider == "openai")
        #expect(delay == .zero)
        #expect(request.attempt == 1)
        #expect(request.provider == "openai")
        #expect(request.model == "m")
        #expect(request.replyTo == "client.replies")
        #expect(request.metadata == ["job": .string("nightly")])
        let route = try #require(request.route)
        #expect(route.router == "router/test")
        #expect(route.replyTo == "client.replies")
        #expect(route.requestedModel == "m")
        #expect(route.remaining == [RouteTarget(provider: "anthropic"), RouteTarget(provider: "local")])
        #expect(route.tried.isEmpty)
        #expect(route.maxAttempts == 3)
        #expect(route.receivedAt == rfc(wall0))
        #expect(route.strategy == "least_loaded")
        // The router's own bound (5 minutes) when the client gives none; absolute from now on.
        #expect(route.deadline == rfc(wall0 + 300))
        #expect(request.expiresAt == route.deadline)
        #expect(request.timeoutMs == nil)
    }

    @Test("reply topic: the request's own, else the message's reply-to header, else none (the default topics)")
    func replyTopic() throws {
        let router = makeRouter()
        let own = try #require(
            router.first(clientRequest(), headerReplyTo: "header.topic", registry: threeProviders()).forwarded)
        #expect(own.request.route?.replyTo == "client.replies")
        let header = try #require(
            router.first(clientRequest(replyTo: nil), headerReplyTo: "header.topic", registry: threeProviders())
                .forwarded)
        #expect(header.request.route?.replyTo == "header.topic")
        #expect(header.request.replyTo == "header.topic")
        let none = try #require(router.first(clientRequest(replyTo: nil), registry: threeProviders()).forwarded)
        #expect(none.request.route?.replyTo == nil)
    }

    @Test("deadline = min(expires_at, enqueued + timeout_ms, received + total deadline)")
    func deadline() throws {
        func deadline(_ request: ProviderRequest, enqueuedAt: Date? = wall0, router: RequestRouter = makeRouter())
            throws -> String?
        {
            try #require(router.first(request, enqueuedAt: enqueuedAt, registry: threeProviders()).forwarded).request
                .route?.deadline
        }
        #expect(try deadline(clientRequest(expiresAt: rfc(wall0 + 10))) == rfc(wall0 + 10))
        // timeout_ms counts from the message's timestamp (it waited 1 s in the topic), else from now.
        #expect(try deadline(clientRequest(timeoutMs: 5_000), enqueuedAt: wall0 - 1) == rfc(wall0 + 4))
        #expect(try deadline(clientRequest(timeoutMs: 5_000), enqueuedAt: nil) == rfc(wall0 + 5))
        #expect(
            try deadline(clientRequest(expiresAt: rfc(wall0 + 10), timeoutMs: 5_000), enqueuedAt: wall0 - 1)
                == rfc(wall0 + 4))
        #expect(try deadline(clientRequest(expiresAt: rfc(wall0 + 3), timeoutMs: 5_000)) == rfc(wall0 + 3))
        // A client deadline later than the router's bound: the bound wins.
        #expect(try deadline(clientRequest(expiresAt: rfc(wall0 + 3_600))) == rfc(wall0 + 300))
        let short = makeRouter(settings: RerouteSettings(totalDeadline: .seconds(2)))
        #expect(try deadline(clientRequest(expiresAt: rfc(wall0 + 10)), router: short) == rfc(wall0 + 2))
    }

    @Test func candidatesAreCutToTheAttemptBudget() throws {
        let router = makeRouter(settings: RerouteSettings(maxAttempts: 2))
        let request = try #require(router.first(clientRequest(), registry: threeProviders()).forwarded).request
        #expect(request.route?.remaining == [RouteTarget(provider: "anthropic")])
        #expect(request.route?.maxAttempts == 2)
    }

    @Test(
        "model map entries provider/model: each candidate asks its own model; the client's model stays requested_model")
    func modelMapWithModels() throws {
        let registry = registry([
            ("openai", ["gpt-4o-mini"], 0), ("anthropic", ["claude-3-5-haiku"], 0), ("local", ["llama3"], 0),
        ])
        let configuration = RoutingConfiguration(
            strategy: .priority,
            modelProviders: [
                "chat": ["openai/gpt-4o-mini", "anthropic/claude-3-5-haiku", "local"]
            ])
        let (provider, request, _) = try #require(
            makeRouter(configuration).first(clientRequest(model: "chat"), registry: registry).forwarded)
        #expect(provider == "openai")
        #expect(request.model == "gpt-4o-mini")
        #expect(request.route?.requestedModel == "chat")
        #expect(
            request.route?.remaining == [
                RouteTarget(provider: "anthropic", model: "claude-3-5-haiku"), RouteTarget(provider: "local"),
            ])
        // The next attempts ask each target's model; a plain `provider` entry asks the client's model.
        let second = try #require(
            makeRouter(configuration).next(after: handedBack(request, .rateLimited), registry: registry)?.forwarded)
        #expect(second.provider == "anthropic")
        #expect(second.request.model == "claude-3-5-haiku")
        let third = try #require(
            makeRouter(configuration).next(after: handedBack(second.request, .overloaded), registry: registry)?
                .forwarded)
        #expect(third.provider == "local")
        #expect(third.request.model == "chat")
    }

    @Test("priority keeps the model map's order whatever the load; least_loaded reorders the same map")
    func priorityKeepsMapOrder() throws {
        let registry = registry([("a", ["x"], 9), ("b", ["x"], 5), ("c", ["x"], 0)])
        let map = ["x": ["a", "b", "c"]]
        let priority = try #require(
            makeRouter(RoutingConfiguration(strategy: .priority, modelProviders: map))
                .first(clientRequest(model: "x"), registry: registry).forwarded)
        #expect(priority.provider == "a")
        #expect(priority.request.route?.remaining.map(\.provider) == ["b", "c"])
        #expect(priority.request.route?.strategy == "priority")
        let loaded = try #require(
            makeRouter(RoutingConfiguration(strategy: .leastLoaded, modelProviders: map))
                .first(clientRequest(model: "x"), registry: registry).forwarded)
        #expect(loaded.provider == "c")
        #expect(loaded.request.route?.remaining.map(\.provider) == ["b", "a"])
    }

    @Test("a stream_request needs streaming: the request is marked stream and providers without it are dropped")
    func streaming() throws {
        var registry = ProviderRegistry()
        registry.apply(status("openai", models: ["m"], inFlight: 5, features: ["chat", "streaming"]), receivedAt: t0)
        registry.apply(status("anthropic", models: ["m"], inFlight: 0, features: ["chat"]), receivedAt: t0)
        let (provider, request, _) = try #require(
            makeRouter().first(clientRequest(), streaming: true, registry: registry).forwarded)
        #expect(provider == "openai")
        #expect(request.stream == true)
        #expect(request.route?.remaining == [])
    }
}

@Suite struct RequestRouterBadInputTests {
    private func rejected(
        _ request: ProviderRequest, registry: ProviderRegistry = threeProviders(),
        router: RequestRouter = makeRouter()
    ) throws -> (error: ProviderError, replyTo: String?) {
        try #require(router.first(request, registry: registry).failure)
    }

    @Test func clientRequestCarryingARouteOrAnAttempt() throws {
        let route = RouteContext(maxAttempts: 9, deadline: rfc(wall0 + 3_600))
        let withRoute = try rejected(clientRequest(route: route))
        #expect(withRoute.error.errorType == .invalidRequest)
        #expect(withRoute.error.field == "data.route")
        #expect(withRoute.error.retryable == false)
        #expect(withRoute.error.isFinal)
        #expect(withRoute.replyTo == "client.replies")
        let withAttempt = try rejected(clientRequest(attempt: 1))
        #expect(withAttempt.error.errorType == .invalidRequest)
        #expect(withAttempt.error.field == "data.attempt")
        #expect(withAttempt.error.requestID == "r1")
        #expect(withAttempt.error.metadata == ["job": .string("nightly")])
        #expect(withAttempt.replyTo == "client.replies")
    }

    @Test func unparseableExpiresAt() throws {
        let (error, replyTo) = try rejected(clientRequest(expiresAt: "tomorrow"))
        #expect(error.errorType == .invalidRequest)
        #expect(error.field == "data.expires_at")
        #expect(error.error.contains("'tomorrow'"))
        #expect(replyTo == "client.replies")
    }

    @Test("an expired deadline is deadline_exceeded before any routing")
    func expired() throws {
        let (error, replyTo) = try rejected(clientRequest(expiresAt: rfc(wall0 - 1)))
        #expect(error.errorType == .deadlineExceeded)
        #expect(error.retryable == false)
        #expect(error.error.contains(rfc(wall0 - 1)))
        #expect(replyTo == "client.replies")
        // timeout_ms used up while the message waited in the topic.
        let waited = try #require(
            makeRouter().first(clientRequest(timeoutMs: 500), enqueuedAt: wall0 - 1, registry: threeProviders()).failure
        )
        #expect(waited.error.errorType == .deadlineExceeded)
        // Exactly now is too late as well.
        #expect(try rejected(clientRequest(expiresAt: rfc(wall0))).error.errorType == .deadlineExceeded)
    }

    @Test func unknownProviderOrModel() throws {
        let provider = try rejected(clientRequest(provider: "mistral"))
        #expect(provider.error.errorType == .invalidRequest)
        #expect(provider.error.error == "unknown provider 'mistral' (known: anthropic, local, openai)")
        #expect(provider.error.retryable == false)
        #expect(provider.replyTo == "client.replies")
        let model = try rejected(clientRequest(model: "nope"))
        #expect(model.error.errorType == .modelUnavailable)
        #expect(model.error.error == "no provider serves model 'nope'")
        #expect(model.error.retryable == false)
        #expect(model.error.model == "nope")
    }

    @Test func impossibleCapabilityCombination() throws {
        var registry = ProviderRegistry()
        registry.apply(status("openai", models: ["m"], features: ["chat", "tools"]), receivedAt: t0)
        registry.apply(status("anthropic", models: ["m"], features: ["chat", "vision"]), receivedAt: t0)
        let (error, replyTo) = try rejected(clientRequest(image: true, tools: true), registry: registry)
        #expect(error.errorType == .unsupported)
        #expect(error.retryable == false)
        #expect(
            error.error
                == "no provider serves model 'm' with vision and tools; anthropic lacks tools; openai lacks vision")
        #expect(replyTo == "client.replies")
    }

    @Test("nothing routable now: a retryable final error (the client may try later)")
    func noLiveProvider() throws {
        var random = SplitMix64(seed: 1)
        let later = makeRouter().route(
            clientRequest(), enqueuedAt: wall0, wallNow: wall0, registry: threeProviders(),
            at: t0 + .seconds(60), using: &random)
        let (error, _) = try #require(later.failure)
        #expect(error.errorType == .modelUnavailable)
        #expect(error.retryable)
    }

    @Test("max_attempts below 1 counts as 1 (it used to crash taking the first of no candidates)")
    func attemptBudgetOfZero() throws {
        let router = makeRouter(settings: RerouteSettings(maxAttempts: 0))
        let (provider, request, _) = try #require(router.first(clientRequest(), registry: threeProviders()).forwarded)
        #expect(provider == "openai")
        #expect(request.route?.maxAttempts == 1)
        #expect(request.route?.remaining == [])
        let final = try #require(
            router.next(after: handedBack(request, .overloaded), registry: threeProviders())?.failure)
        #expect(final.error.errorType == .overloaded)
        #expect(final.error.error.hasPrefix("gave up after 1 attempt (max_attempts 1)"))
    }
}

@Suite struct RequestRouterRerouteTests {
    /// The first attempt of a default client request on three providers.
    private func firstAttempt(
        _ router: RequestRouter = makeRouter(), request: ProviderRequest = clientRequest(),
        registry: ProviderRegistry = threeProviders()
    ) throws -> ProviderRequest {
        try #require(router.first(request, registry: registry).forwarded).request
    }

    @Test(
        "a retryable error goes to the next remaining candidate after 50 ms, then 100 ms; tried attempts are recorded")
    func nextCandidateWithBackoff() throws {
        let router = makeRouter()
        let first = try firstAttempt(router)
        let second = try #require(
            router.next(
                after: handedBack(first, .rateLimited, message: "slow down"), wallNow: wall0 + 1,
                registry: threeProviders())?.forwarded)
        #expect(second.provider == "anthropic")
        #expect(second.delay == .milliseconds(50))
        #expect(second.request.attempt == 2)
        #expect(second.request.provider == "anthropic")
        #expect(second.request.model == "m")
        #expect(second.request.replyTo == "client.replies")
        let route = try #require(second.request.route)
        #expect(route.remaining == [RouteTarget(provider: "local")])
        #expect(
            route.tried == [
                RouteAttempt(
                    attempt: 1, provider: "openai", model: "m", instance: "i1", errorType: .rateLimited,
                    error: "slow down", at: rfc(wall0 + 1))
            ])
        #expect(route.deadline == rfc(wall0 + 300), "the deadline never moves")

        let third = try #require(
            router.next(after: handedBack(second.request, .timeout), wallNow: wall0 + 2, registry: threeProviders())?
                .forwarded)
        #expect(third.provider == "local")
        #expect(third.delay == .milliseconds(100))
        #expect(third.request.attempt == 3)
        #expect(third.request.route?.remaining == [])
        #expect(third.request.route?.tried.map(\.provider) == ["openai", "anthropic"])
        #expect(third.request.route?.tried.map(\.attempt) == [1, 2])
        #expect(third.request.route?.tried.map(\.errorType) == [.rateLimited, .timeout])
    }

    @Test("a remaining candidate without a routable instance is skipped for one that has one")
    func skipsDeadCandidates() throws {
        let router = makeRouter()
        let first = try firstAttempt(router)
        var registry = threeProviders()
        registry.apply(status("anthropic", models: ["m"], health: "unavailable"), receivedAt: t0)
        let next = try #require(router.next(after: handedBack(first, .overloaded), registry: registry)?.forwarded)
        #expect(next.provider == "local")
        #expect(next.request.route?.remaining == [RouteTarget(provider: "anthropic")])
    }

    @Test("the provider tried again once the candidates are used up waits for its retry_after")
    func retryAfterHonoured() throws {
        let single = registry([("openai", ["m"], 0)])
        let router = makeRouter()
        let first = try firstAttempt(router, registry: single)
        #expect(first.route?.remaining == [])
        let again = try #require(
            router.next(after: handedBack(first, .rateLimited, retryAfterMs: 2_000), registry: single)?.forwarded)
        #expect(again.provider == "openai")
        #expect(again.delay == .milliseconds(2_000))
        #expect(again.request.attempt == 2)
        // A retry_after shorter than the backoff: the backoff (100 ms before attempt 3).
        let third = try #require(
            router.next(after: handedBack(again.request, .rateLimited, retryAfterMs: 20), registry: single)?.forwarded)
        #expect(third.delay == .milliseconds(100))
    }

    @Test("candidates used up: the tried target whose wait ends first, counted from when it failed")
    func earliestWaitFirst() throws {
        let two = registry([("a", ["m"], 0), ("b", ["m"], 1)])
        let router = makeRouter(settings: RerouteSettings(maxAttempts: 4))
        let first = try firstAttempt(router, registry: two)
        #expect(first.provider == "a")
        let second = try #require(
            router.next(after: handedBack(first, .rateLimited, retryAfterMs: 5_000), wallNow: wall0, registry: two)?
                .forwarded)
        #expect(second.provider == "b")
        // a asked for 5 s at wall0; b asks for 1 s at wall0 + 0.25: b's wait ends first.
        let third = try #require(
            router.next(
                after: handedBack(second.request, .rateLimited, retryAfterMs: 1_000), wallNow: wall0 + 0.25,
                registry: two)?.forwarded)
        #expect(third.provider == "b")
        #expect(third.delay == .milliseconds(1_000))
        // b fails again without a retry_after at wall0 + 0.5; a's 5 s end later.
        let fourth = try #require(
            router.next(after: handedBack(third.request, .overloaded), wallNow: wall0 + 0.5, registry: two)?.forwarded)
        #expect(fourth.provider == "b")
        #expect(fourth.delay == .milliseconds(200))
        #expect(fourth.request.attempt == 4)
    }

    @Test("max_attempts reached: a final error to the client's reply topic listing every attempt")
    func maxAttempts() throws {
        let router = makeRouter()
        var request = try firstAttempt(router)
        for (index, type) in [ProviderErrorType.rateLimited, .timeout].enumerated() {
            request = try #require(
                router.next(after: handedBack(request, type, message: "fail \(index + 1)"), registry: threeProviders())?
                    .forwarded
            ).request
        }
        let decision = try #require(
            router.next(
                after: handedBack(request, .overloaded, retryAfterMs: 300, message: "fail 3"),
                registry: threeProviders()))
        let (error, replyTo) = try #require(decision.failure)
        #expect(replyTo == "client.replies")
        #expect(error.isFinal)
        #expect(error.requestID == "r1")
        #expect(error.errorType == .overloaded)
        #expect(error.retryable)
        #expect(error.retryAfterMs == 300)
        #expect(error.attempt == 3)
        #expect(error.provider == "local")
        #expect(error.metadata == ["job": .string("nightly")])
        #expect(
            error.error == "gave up after 3 attempts (max_attempts 3); attempts: 1: openai/m rate_limited (fail 1); "
                + "2: anthropic/m timeout (fail 2); 3: local/m overloaded (fail 3)")
        #expect(error.route?.tried.map(\.attempt) == [1, 2, 3])
        #expect(error.route?.tried.map(\.provider) == ["openai", "anthropic", "local"])
    }

    @Test("a deadline too close for the wait is deadline_exceeded")
    func deadlineTooClose() throws {
        let router = makeRouter()
        let first = try firstAttempt(router, request: clientRequest(expiresAt: rfc(wall0 + 1)))
        // 50 ms of backoff still fits at wall0 + 0.9 ...
        #expect(
            router.next(after: handedBack(first, .overloaded), wallNow: wall0 + 0.9, registry: threeProviders())?
                .forwarded != nil)
        // ... not at wall0 + 0.96.
        let late = try #require(
            router.next(after: handedBack(first, .overloaded), wallNow: wall0 + 0.96, registry: threeProviders())?
                .failure)
        #expect(late.error.errorType == .deadlineExceeded)
        #expect(late.error.retryable == false)
        let next = late.error.error.firstMatch(of: /leaves no time for attempt (\d+) in/).flatMap { Int($0.1) }
        #expect(next == 2, "\(late.error.error)")
        #expect(late.replyTo == "client.replies")
        #expect(late.error.route?.tried.count == 1)
        // A retry_after that ends after the deadline, when the same provider is the only one left.
        let single = registry([("openai", ["m"], 0)])
        let only = try firstAttempt(router, request: clientRequest(expiresAt: rfc(wall0 + 1)), registry: single)
        let waiting = try #require(
            router.next(after: handedBack(only, .rateLimited, retryAfterMs: 5_000), registry: single)?.failure)
        #expect(waiting.error.errorType == .deadlineExceeded)
    }

    @Test("a non-retryable error is final at once, echoing the route")
    func nonRetryable() throws {
        let router = makeRouter()
        let first = try firstAttempt(router)
        let (error, replyTo) = try #require(
            router.next(
                after: handedBack(first, .authentication, retryable: false, message: "bad key"),
                registry: threeProviders())?.failure)
        #expect(error.errorType == .authentication)
        #expect(error.retryable == false)
        #expect(error.isFinal)
        #expect(error.error == "not retryable; attempts: 1: openai/m authentication (bad key)")
        #expect(error.route?.remaining == [RouteTarget(provider: "anthropic"), RouteTarget(provider: "local")])
        #expect(replyTo == "client.replies")
    }

    // Providers refuse an oversized prompt with context_length_exceeded and retryable: false (the
    // same model fails the same way anywhere); the router still reroutes it to a larger model.

    @Test("context_length_exceeded → the configured larger model, on every provider serving it")
    func contextFallbackToLargerModel() throws {
        let registry = registry([("openai", ["small", "large"], 0), ("anthropic", ["large"], 3)])
        let router = makeRouter(settings: RerouteSettings(contextFallbacks: ["small": "large"]))
        let first = try firstAttempt(router, request: clientRequest(model: "small"), registry: registry)
        #expect(first.provider == "openai")
        #expect(first.route?.remaining == [])
        let next = try #require(
            router.next(after: handedBack(first, .contextLengthExceeded, retryable: false), registry: registry)?
                .forwarded)
        #expect(next.provider == "openai")
        #expect(next.request.model == "large")
        #expect(next.request.attempt == 2)
        #expect(next.request.route?.remaining == [RouteTarget(provider: "anthropic", model: "large")])
        #expect(next.request.route?.requestedModel == "small")
        // The larger model is too small as well, and nothing larger is configured: the remaining
        // candidate asks the same model, so it is dropped; final.
        let (error, _) = try #require(
            router.next(after: handedBack(next.request, .contextLengthExceeded, retryable: false), registry: registry)?
                .failure)
        #expect(error.errorType == .contextLengthExceeded)
        #expect(error.retryable == false)
        #expect(error.error.hasPrefix("no candidate with a larger context is left"))
    }

    @Test(
        """
        context_length_exceeded without a configured fallback → a remaining candidate asking another model, never \
        the same one
        """
    )
    func contextFallbackToRemainingCandidate() throws {
        let registry = registry([("openai", ["small"], 0), ("anthropic", ["big"], 0), ("local", ["small"], 0)])
        let router = makeRouter(
            RoutingConfiguration(
                strategy: .priority,
                modelProviders: ["chat": ["openai/small", "local/small", "local", "anthropic/big"]]),
            settings: RerouteSettings(maxAttempts: 4))
        let first = try firstAttempt(router, request: clientRequest(model: "chat"), registry: registry)
        #expect(first.provider == "openai")
        let next = try #require(
            router.next(after: handedBack(first, .contextLengthExceeded, retryable: false), registry: registry)?
                .forwarded)
        #expect(next.provider == "anthropic")
        #expect(next.request.model == "big")
        #expect(
            next.request.route?.remaining == [], "local/small (too small) and local (the client's model) were dropped")
    }

    @Test("context_length_exceeded with nothing larger anywhere is final")
    func contextFinal() throws {
        let router = makeRouter()
        let first = try firstAttempt(router)
        let (error, replyTo) = try #require(
            router.next(
                after: handedBack(first, .contextLengthExceeded, retryable: false, message: "too long"),
                registry: threeProviders())?.failure)
        #expect(error.errorType == .contextLengthExceeded)
        #expect(error.retryable == false)
        #expect(
            error.error
                == """
                no candidate with a larger context is left; attempts: 1: openai/m context_length_exceeded (too \
                long)
                """
        )
        #expect(replyTo == "client.replies")
    }

    @Test("an error without the request is a final answer, not for routers")
    func finalErrorsAreNotRerouted() throws {
        let first = try firstAttempt()
        var error = handedBack(first, .overloaded)
        error.request = nil
        #expect(makeRouter().next(after: error, registry: threeProviders()) == nil)
    }

    @Test("a handed-back request without a route context is answered, so nothing hangs")
    func unroutedRequestIsAnswered() throws {
        let request = clientRequest()
        let (error, replyTo) = try #require(
            makeRouter().next(after: handedBack(request, .overloaded), registry: threeProviders())?.failure)
        #expect(error.isFinal)
        #expect(error.errorType == .overloaded)
        #expect(replyTo == "client.replies")
    }

    @Test("a request that keeps failing never loops: attempts 1, 2, 3, ... strictly, final at max_attempts")
    func noLoops() throws {
        let registry = registry([("a", ["m"], 0), ("b", ["m"], 1)])
        let router = makeRouter(settings: RerouteSettings(maxAttempts: 5))
        var request = try firstAttempt(router, registry: registry)
        var attempts = [request.attempt ?? 0]
        var providers = [request.provider ?? ""]
        var wall = wall0
        var final: ProviderError?
        for _ in 0..<20 {
            wall += 0.5
            let decision = try #require(
                router.next(after: handedBack(request, .overloaded), wallNow: wall, registry: registry))
            if let (error, _) = decision.failure {
                final = error
                break
            }
            request = try #require(decision.forwarded).request
            attempts.append(request.attempt ?? 0)
            providers.append(request.provider ?? "")
        }
        #expect(attempts == [1, 2, 3, 4, 5])
        #expect(providers == ["a", "b", "a", "b", "a"])
        let error = try #require(final)
        #expect(error.attempt == 5)
        #expect(error.route?.tried.map(\.attempt) == [1, 2, 3, 4, 5])
    }
}
