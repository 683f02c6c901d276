import AgentCore
import Common
import Foundation
import Signals
import Testing

/// Requests of priority `batch` leave the policy's reserve of every budget and of the call slots
/// to interactive requests (docs/batch.md, "Pace").
@Suite("Admission: batch priority")
struct BatchPriorityTests {
    let t0 = ContinuousClock.now
    let wall = Date(timeIntervalSince1970: 1_800_000_000)

    func controller(
        strategy: RateLimitPolicy.Strategy = .slidingWindow, requests: Int? = 10, tokens: Int? = nil,
        reserve: Double = 0.2, concurrency: Int = 100
    ) -> AdmissionController {
        AdmissionController(
            rateLimiter: RateLimiter(
                policy: RateLimitPolicy(
                    strategy: strategy, requestsPerWindow: requests, tokensPerWindow: tokens, window: .seconds(10),
                    batchReserve: reserve)),
            breaker: CircuitBreaker(policy: CircuitBreakerPolicy()),
            concurrency: ConcurrencyLimiter(limit: concurrency), models: ["m"], defaultModel: "m")
    }

    func request(_ priority: RequestPriority?, maxTokens: Int = 10) -> ProviderRequest {
        ProviderRequest(
            requestID: "r", messages: [ChatMessage(role: .user, content: .text("hi"))], model: "m",
            maxTokens: maxTokens, priority: priority)
    }

    /// How many requests of `priority` are admitted in a row at `now` (stops at the first refusal).
    func admitted(
        _ admission: inout AdmissionController, _ priority: RequestPriority?, at now: ContinuousClock.Instant,
        upTo limit: Int = 1_000
    ) -> (count: Int, refusal: ProviderCallError?) {
        for count in 0..<limit {
            if case .rejected(let error) = admission.admit(request(priority), enqueuedAt: wall, wallNow: wall, at: now)
            {
                return (count, error)
            }
        }
        return (limit, nil)
    }

    @Test(
        "batch requests stop at 80% of the request limit; interactive ones take the rest",
        arguments: RateLimitPolicy.Strategy.allCases)
    func requestReserve(strategy: RateLimitPolicy.Strategy) throws {
        var admission = controller(strategy: strategy)
        let batch = admitted(&admission, .batch, at: t0)
        #expect(batch.count == 8)
        let refusal = try #require(batch.refusal)
        #expect(refusal.type == .rateLimited)
        #expect(refusal.retryable)
        #expect(refusal.retryAfter != nil && refusal.retryAfter! > .zero)
        #expect(refusal.message.contains("batch requests' part (80%)"), "\(refusal.message)")
        let interactive = admitted(&admission, .interactive, at: t0)
        #expect(interactive.count == 2)
        #expect(interactive.refusal?.type == .rateLimited)
    }

    @Test("a request without a priority is interactive")
    func absentIsInteractive() {
        var admission = controller()
        #expect(admitted(&admission, nil, at: t0).count == 10)
    }

    @Test("a batch request refused by the reserve is admitted once the window frees the budget")
    func retryAfterIsHonest() throws {
        var admission = controller()
        _ = admitted(&admission, .interactive, at: t0, upTo: 8)
        let refusal = try #require(admitted(&admission, .batch, at: t0).refusal)
        let retryAfter = try #require(refusal.retryAfter)
        #expect(admitted(&admission, .batch, at: t0 + retryAfter, upTo: 1).count == 1)
    }

    @Test("the token budget keeps its reserve too")
    func tokenReserve() {
        // 1,000 tokens; each request ~ 10 max tokens + prompt estimate. Batch stops at 50%.
        var admission = controller(requests: nil, tokens: 1_000, reserve: 0.5)
        let batch = admitted(&admission, .batch, at: t0)
        let interactive = admitted(&admission, .interactive, at: t0)
        #expect(batch.refusal?.type == .rateLimited)
        #expect(interactive.refusal?.type == .rateLimited)
        let used = admission.rateLimiter.currentTokens(at: t0)
        let perRequest = used / (batch.count + interactive.count)
        #expect(batch.count * perRequest <= 500)
        #expect(batch.count * perRequest > 500 - perRequest)
        #expect(used > 1_000 - perRequest)
    }

    @Test("batch requests leave a fifth of the call slots free")
    func slotReserve() throws {
        var admission = controller(requests: nil, concurrency: 10)
        let batch = admitted(&admission, .batch, at: t0)
        #expect(batch.count == 8)
        let refusal = try #require(batch.refusal)
        #expect(refusal.type == .overloaded)
        #expect(refusal.retryable)
        #expect(refusal.message.contains("8 of 10 concurrent call slots are busy (2 kept for interactive"))
        #expect(admitted(&admission, .interactive, at: t0).count == 2)
        #expect(admission.concurrency.inFlight == 10)
    }

    @Test("a reserve of 0 lets batch requests use everything; a limit of 1 is never wholly reserved")
    func edges() {
        var open = controller(reserve: 0)
        #expect(admitted(&open, .batch, at: t0).count == 10)
        var single = controller(requests: 1, reserve: 0.9, concurrency: 1)
        #expect(admitted(&single, .batch, at: t0).count == 1)
    }

    @Test("the reserve is checked where every policy is: in 0 ..< 1, named")
    func validation() {
        for bad in [-0.1, 1, 1.5] {
            #expect(throws: InvalidSetting.self) {
                try RateLimitPolicy(requestsPerWindow: 10, batchReserve: bad).validate()
            }
            do {
                try RateLimitPolicy(requestsPerWindow: 10, batchReserve: bad).validate()
            } catch {
                #expect("\(error)".contains("rate_limit.batch_reserve"), "\(error)")
            }
        }
        #expect(throws: Never.self) { try RateLimitPolicy(batchReserve: 0).validate() }
    }

    @Test("priority travels in provider_request; an unknown one is refused naming the field")
    func signal() throws {
        let request = request(.batch)
        let encoded = try JSONEncoder().encode(request)
        #expect(String(decoding: encoded, as: UTF8.self).contains(#""priority":"batch""#))
        #expect(try JSONDecoder().decode(ProviderRequest.self, from: encoded).priority == .batch)
        let bad = Data(#"{"request_id":"x","messages":[{"role":"user","content":"hi"}],"priority":"urgent"}"#.utf8)
        #expect {
            try JSONDecoder().decode(ProviderRequest.self, from: bad)
        } throws: { error in
            "\(error)".contains("priority") && "\(error)".contains("urgent")
        }
    }
}
