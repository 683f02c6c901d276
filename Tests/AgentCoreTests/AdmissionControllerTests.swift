import AgentCore
import Foundation
import Signals
import Testing

@Suite("Admission")
struct AdmissionControllerTests {
    let t0 = ContinuousClock.now
    let wall = Date(timeIntervalSince1970: 1_800_000_000)

    func controller(
        requests: Int? = 100, concurrency: Int = 10,
        breaker: CircuitBreakerPolicy = .init(consecutiveFailures: 2, openTimeout: .seconds(30))
    ) -> AdmissionController {
        AdmissionController(
            rateLimiter: RateLimiter(
                policy: RateLimitPolicy(strategy: .fixedWindow, requestsPerWindow: requests, window: .seconds(60))),
            breaker: CircuitBreaker(policy: breaker),
            concurrency: ConcurrencyLimiter(limit: concurrency),
            models: ["gpt-4o", "gpt-4o-mini"],
            defaultModel: "gpt-4o-mini"
        )
    }

    func request(
        _ id: String = "r", model: String? = "gpt-4o", expiresAt: String? = nil, timeoutMs: Int? = nil,
        maxTokens: Int? = 100
    ) -> ProviderRequest {
        ProviderRequest(
            requestID: id, messages: [ChatMessage(role: .user, content: .text("hello"))], model: model,
            maxTokens: maxTokens, expiresAt: expiresAt, timeoutMs: timeoutMs
        )
    }

    func rejection(_ decision: AdmissionController.Decision) -> ProviderCallError? {
        if case .rejected(let error) = decision { return error }
        return nil
    }

    /// The ticket of an admitted request; `nil` when it was refused (use with `#require`).
    func ticket(_ decision: AdmissionController.Decision) -> AdmissionController.Ticket? {
        if case .admitted(let ticket) = decision { return ticket }
        return nil
    }

    @Test("an admitted request takes a concurrency slot and rate budget; finish returns the slot")
    func admitted() throws {
        var admission = controller()
        let decision = admission.admit(request(), enqueuedAt: wall, wallNow: wall, at: t0)
        guard case .admitted(let ticket) = decision else {
            Issue.record("expected admission, got \(decision)")
            return
        }
        #expect(ticket.model == "gpt-4o")
        #expect(!ticket.probe)
        #expect(admission.concurrency.inFlight == 1)
        #expect(admission.rateLimiter.currentRequests(at: t0) == 1)
        admission.finish(ticket, outcome: .success, at: t0)
        #expect(admission.concurrency.inFlight == 0)
        let defaulted = admission.admit(request(model: nil), enqueuedAt: wall, wallNow: wall, at: t0)
        guard case .admitted(let other) = defaulted else {
            Issue.record("default model")
            return
        }
        #expect(other.model == "gpt-4o-mini")
    }

    @Test("expired requests are refused first, not retryable, and consume nothing")
    func deadline() {
        var admission = controller(requests: 0)  // the rate limit would refuse too: deadline comes first
        let expired = rejection(
            admission.admit(request(expiresAt: "2027-01-15T07:59:59Z"), enqueuedAt: nil, wallNow: wall, at: t0))
        #expect(expired?.type == .deadlineExceeded)
        #expect(expired?.retryable == false)
        let timedOut = rejection(
            admission.admit(request(timeoutMs: 500), enqueuedAt: wall.addingTimeInterval(-1), wallNow: wall, at: t0))
        #expect(timedOut?.type == .deadlineExceeded)
        let badTime = rejection(admission.admit(request(expiresAt: "tomorrow"), enqueuedAt: nil, wallNow: wall, at: t0))
        #expect(badTime?.type == .invalidRequest)
        #expect(badTime?.message.contains("expires_at") == true)
        #expect(admission.rateLimiter.currentRequests(at: t0) == 0)
    }

    @Test("rate limit before the breaker: rate_limited with retry_after, and no probe is spent")
    func rateLimitFirst() {
        var admission = controller(requests: 1)
        _ = admission.admit(request("a"), enqueuedAt: wall, wallNow: wall, at: t0)
        let refused = rejection(
            admission.admit(request("b"), enqueuedAt: wall, wallNow: wall, at: t0.advanced(by: .seconds(20))))
        #expect(refused?.type == .rateLimited)
        #expect(refused?.retryable == true)
        #expect(refused?.retryAfter == .seconds(40))
    }

    @Test("an open circuit refuses with circuit_open and the time until it probes")
    func circuitOpen() throws {
        var admission = controller()
        for id in ["a", "b"] {
            let decision = admission.admit(request(id), enqueuedAt: wall, wallNow: wall, at: t0)
            let admitted = try #require(ticket(decision), "\(id) is admitted before the breaker opens: \(decision)")
            admission.finish(admitted, outcome: .failure(.upstreamServerError), at: t0)
        }
        let refused = rejection(
            admission.admit(request("c"), enqueuedAt: wall, wallNow: wall, at: t0.advanced(by: .seconds(10))))
        #expect(refused?.type == .circuitOpen)
        #expect(refused?.retryAfter == .seconds(20))
        #expect(admission.rateLimiter.currentRequests(at: t0) == 2, "a refused request consumes no rate budget")
    }

    @Test("concurrency after the breaker: overloaded, and a probe slot taken for it is given back")
    func concurrencyReleasesProbe() throws {
        var admission = controller(
            concurrency: 1, breaker: .init(consecutiveFailures: 1, openTimeout: .seconds(1), halfOpenMaxProbes: 1))
        let first = admission.admit(request("a"), enqueuedAt: wall, wallNow: wall, at: t0)
        let failing = try #require(ticket(first), "the first request must be admitted: \(first)")
        admission.finish(failing, outcome: .failure(.timeout), at: t0)
        // With no free concurrency slot, the next admission is a probe that cannot run.
        admission.concurrency.setLimit(0)
        let later = t0.advanced(by: .seconds(2))
        let refused = rejection(admission.admit(request("b"), enqueuedAt: wall, wallNow: wall, at: later))
        #expect(refused?.type == .overloaded)
        #expect(refused?.retryable == true)
        admission.concurrency.setLimit(1)
        guard case .admitted(let probe) = admission.admit(request("c"), enqueuedAt: wall, wallNow: wall, at: later)
        else {
            Issue.record("the probe slot must have been given back")
            return
        }
        #expect(probe.probe)
    }

    @Test("model availability last: model_unavailable names the model and gives every slot back")
    func modelUnavailable() {
        var admission = controller()
        let refused = rejection(admission.admit(request(model: "gpt-5-ultra"), enqueuedAt: wall, wallNow: wall, at: t0))
        #expect(refused?.type == .modelUnavailable)
        #expect(refused?.retryable == false)
        #expect(refused?.message.contains("gpt-5-ultra") == true)
        #expect(admission.concurrency.inFlight == 0)
        #expect(admission.rateLimiter.currentRequests(at: t0) == 0)
    }

    @Test("tokens per window count the estimated prompt plus max_tokens")
    func tokenBudget() throws {
        var admission = controller(requests: nil)
        admission.rateLimiter = RateLimiter(
            policy: RateLimitPolicy(strategy: .slidingWindow, tokensPerWindow: 1000, window: .seconds(60)))
        let estimate = AdmissionController.estimatedTokens(request(maxTokens: 600), defaultMaxTokens: 1024)
        #expect(estimate == 606)  // ("hello" + 16 overhead = 21 bytes → 6 tokens) + 600
        let fits = admission.admit(request("a", maxTokens: 600), enqueuedAt: wall, wallNow: wall, at: t0)
        _ = try #require(ticket(fits), "606 of 1000 tokens fit the budget: \(fits)")
        let refused = rejection(admission.admit(request("b", maxTokens: 600), enqueuedAt: wall, wallNow: wall, at: t0))
        #expect(refused?.type == .rateLimited)
        #expect(refused?.message.contains("tokens") == true)
        let never = rejection(admission.admit(request("c", maxTokens: 5000), enqueuedAt: wall, wallNow: wall, at: t0))
        #expect(never?.retryable == false, "a request larger than the whole budget can never fit")
    }

    @Test("max_tokens near Int.max neither traps nor fits: refused as never fitting the token budget")
    func hugeMaxTokens() {
        #expect(
            AdmissionController.estimatedTokens(request(maxTokens: Int.max), defaultMaxTokens: 1024)
                == AdmissionController.maximumTokenEstimate)
        var admission = controller(requests: nil)
        admission.rateLimiter = RateLimiter(
            policy: RateLimitPolicy(strategy: .slidingWindow, tokensPerWindow: 1000, window: .seconds(60)))
        let refused = rejection(
            admission.admit(request("huge", maxTokens: Int.max), enqueuedAt: wall, wallNow: wall, at: t0))
        #expect(refused?.type == .rateLimited)
        #expect(refused?.retryable == false)
        var unlimited = controller(requests: nil)
        guard
            case .admitted = unlimited.admit(
                request("huge", maxTokens: Int.max), enqueuedAt: wall, wallNow: wall, at: t0)
        else {
            Issue.record("without a token budget the request is admitted")
            return
        }
    }
}
