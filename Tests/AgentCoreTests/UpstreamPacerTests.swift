import AgentCore
import Foundation
import Signals
import Testing

@Suite("Upstream pacing and per-model tiers")
struct UpstreamPacerTests {
    let t0 = ContinuousClock.now
    let wall = Date(timeIntervalSince1970: 1_800_000_000)

    func limit(
        remaining: Int?, of limit: Int? = 100, reset: Duration? = .seconds(10), tokens: Int? = nil,
        tokensReset: Duration? = nil
    ) -> UpstreamRateLimit {
        UpstreamRateLimit(
            limitRequests: limit, remainingRequests: remaining, requestsReset: reset, remainingTokens: tokens,
            tokensReset: tokensReset, observedAt: t0)
    }

    @Test("no requests left: refused until the reset, then the stale figures hold nothing back")
    func exhausted() throws {
        var pacer = UpstreamPacer()
        pacer.observe(limit(remaining: 0), share: 1)
        let refusal = try #require(pacer.check(tokens: 10, at: t0 + .seconds(4)))
        #expect(refusal.retryAfter == .seconds(6))
        #expect(refusal.reason.contains("no requests left"))
        #expect(pacer.check(tokens: 10, at: t0 + .seconds(10)) == nil)
    }

    @Test("plenty left: admits back to back, counting down, and stops at zero")
    func countsDown() {
        var pacer = UpstreamPacer(slowFraction: 0)
        pacer.observe(limit(remaining: 3), share: 1)
        for _ in 0..<3 {
            #expect(pacer.check(tokens: 1, at: t0) == nil)
            pacer.consume(tokens: 1, at: t0)
        }
        #expect(pacer.check(tokens: 1, at: t0)?.retryAfter == .seconds(10))
    }

    @Test("few left (under the slow fraction): admissions are spread evenly until the reset")
    func spreads() throws {
        var pacer = UpstreamPacer(slowFraction: 0.1)
        pacer.observe(limit(remaining: 6, of: 100, reset: .seconds(10)), share: 1)
        #expect(pacer.check(tokens: 1, at: t0) == nil)
        pacer.consume(tokens: 1, at: t0)
        // 5 left over 10 s: one every 2 s.
        let wait = try #require(pacer.check(tokens: 1, at: t0))
        #expect(wait.retryAfter == .seconds(2))
        #expect(wait.reason.contains("spreading"))
        #expect(pacer.check(tokens: 1, at: t0 + .seconds(2)) == nil)
    }

    @Test("this instance takes only its share of what is left")
    func share() {
        var pacer = UpstreamPacer(slowFraction: 0)
        pacer.observe(limit(remaining: 4), share: 0.5)
        pacer.consume(tokens: 1, at: t0)
        #expect(pacer.check(tokens: 1, at: t0) == nil)
        pacer.consume(tokens: 1, at: t0)
        #expect(pacer.check(tokens: 1, at: t0) != nil)
    }

    @Test("a request needing more tokens than are left waits for the token reset")
    func tokens() throws {
        var pacer = UpstreamPacer()
        pacer.observe(limit(remaining: nil, tokens: 500, tokensReset: .seconds(3)), share: 1)
        #expect(pacer.check(tokens: 400, at: t0) == nil)
        pacer.consume(tokens: 400, at: t0)
        let refusal = try #require(pacer.check(tokens: 200, at: t0 + .seconds(1)))
        #expect(refusal.retryAfter == .seconds(2))
        #expect(pacer.check(tokens: 200, at: t0 + .seconds(3)) == nil)
    }

    @Test("a 429's retry_after pauses admission until it has passed; a shorter one does not shorten it")
    func pause() {
        var pacer = UpstreamPacer()
        pacer.pause(for: .seconds(5), at: t0)
        pacer.pause(for: .seconds(1), at: t0 + .seconds(1))
        #expect(pacer.check(tokens: 1, at: t0 + .seconds(3))?.retryAfter == .seconds(2))
        #expect(pacer.paused(at: t0 + .seconds(4)) == t0 + .seconds(5))
        #expect(pacer.check(tokens: 1, at: t0 + .seconds(5)) == nil)
    }

    @Test("tiers match the longest model or family prefix")
    func tierLookup() {
        let tiers = ModelRateTiers.openAIDefaults
        #expect(tiers.policy(for: "gpt-4o-mini-2024-07-18")?.tokensPerWindow == 200_000)
        #expect(tiers.policy(for: "gpt-4o-2024-08-06")?.tokensPerWindow == 30_000)
        #expect(tiers.policy(for: "gpt-5-preview")?.requestsPerWindow == 500)
        #expect(tiers.policy(for: "text-embedding-3-small") == nil)
        #expect(ModelRateTiers.anthropicDefaults.policy(for: "claude-3-5-haiku-latest")?.tokensPerWindow == 58_000)
        let custom = tiers.merging(ModelRateTiers(["gpt-4o": RateLimitPolicy(requestsPerWindow: 10_000)]))
        #expect(custom.policy(for: "gpt-4o")?.requestsPerWindow == 10_000)
        #expect(custom.policy(for: "gpt-4o-mini")?.requestsPerWindow == 500)
    }

    func controller(tiers: ModelRateTiers = .none) -> AdmissionController {
        AdmissionController(
            rateLimiter: RateLimiter(policy: RateLimitPolicy(requestsPerWindow: 1_000)),
            breaker: CircuitBreaker(policy: CircuitBreakerPolicy()),
            concurrency: ConcurrencyLimiter(limit: 100),
            models: ["gpt-4o", "gpt-4o-mini"], defaultModel: "gpt-4o", modelTiers: tiers
        )
    }

    func request(_ model: String, maxTokens: Int = 10) -> ProviderRequest {
        ProviderRequest(
            requestID: "r", messages: [ChatMessage(role: .user, content: .text("hi"))], model: model,
            maxTokens: maxTokens)
    }

    func error(_ decision: AdmissionController.Decision) -> ProviderCallError? {
        if case .rejected(let error) = decision { return error }
        return nil
    }

    @Test("admission: a model's tier refuses that model only, with retry_after, and follows the share")
    func admissionTiers() throws {
        var admission = controller(
            tiers: ModelRateTiers(["gpt-4o-mini": RateLimitPolicy(requestsPerWindow: 4, window: .seconds(60))]))
        for _ in 0..<4 {
            #expect(error(admission.admit(request("gpt-4o-mini"), enqueuedAt: wall, wallNow: wall, at: t0)) == nil)
        }
        let refusal = try #require(
            error(admission.admit(request("gpt-4o-mini"), enqueuedAt: wall, wallNow: wall, at: t0)))
        #expect(refusal.type == .rateLimited)
        #expect(refusal.retryAfter != nil)
        #expect(refusal.message.contains("model 'gpt-4o-mini'"))
        #expect(error(admission.admit(request("gpt-4o"), enqueuedAt: wall, wallNow: wall, at: t0)) == nil)
        admission.setShare(0.5)
        #expect(admission.modelLimiters["gpt-4o-mini"]?.localRequestLimit == 2)
        admission.setModelTiers(.none)
        #expect(error(admission.admit(request("gpt-4o-mini"), enqueuedAt: wall, wallNow: wall, at: t0)) == nil)
    }

    @Test("admission: what the upstream reports and its 429s hold back that model only")
    func admissionUpstream() throws {
        var admission = controller()
        admission.observeUpstream(limit(remaining: 1, of: 1_000), model: "gpt-4o")
        #expect(error(admission.admit(request("gpt-4o"), enqueuedAt: wall, wallNow: wall, at: t0)) == nil)
        let refusal = try #require(
            error(admission.admit(request("gpt-4o"), enqueuedAt: wall, wallNow: wall, at: t0 + .seconds(1))))
        #expect(refusal.type == .rateLimited)
        #expect(refusal.retryable)
        #expect(refusal.retryAfter == .seconds(9))
        #expect(error(admission.admit(request("gpt-4o-mini"), enqueuedAt: wall, wallNow: wall, at: t0)) == nil)
        admission.pauseUpstream(model: "gpt-4o-mini", for: .seconds(2), at: t0)
        #expect(
            error(admission.admit(request("gpt-4o-mini"), enqueuedAt: wall, wallNow: wall, at: t0 + .seconds(1)))?
                .retryAfter == .seconds(1))
        #expect(
            error(admission.admit(request("gpt-4o-mini"), enqueuedAt: wall, wallNow: wall, at: t0 + .seconds(2))) == nil
        )
        // A refusal consumed nothing: the concurrency slots of the admitted ones only.
        #expect(admission.concurrency.inFlight == 3)
    }

    @Test("admission: a resource constraint is refused after the deadline check and consumes nothing")
    func resourceConstraintOrder() throws {
        var admission = controller()
        let constrained = ProviderCallError(
            type: .resourceConstrained, message: "memory above 90%", retryable: true, retryAfter: .seconds(2))
        let expired = ProviderRequest(
            requestID: "e", messages: [ChatMessage(role: .user, content: .text("hi"))], model: "gpt-4o",
            expiresAt: "2001-01-01T00:00:00Z")
        #expect(
            error(admission.admit(expired, enqueuedAt: wall, wallNow: wall, at: t0, constrained: constrained))?.type
                == .deadlineExceeded)
        let refusal = try #require(
            error(admission.admit(request("gpt-4o"), enqueuedAt: wall, wallNow: wall, at: t0, constrained: constrained))
        )
        #expect(refusal.type == .resourceConstrained)
        #expect(admission.concurrency.inFlight == 0)
        #expect(admission.rateLimiter.currentRequests(at: t0) == 0)
    }
}
