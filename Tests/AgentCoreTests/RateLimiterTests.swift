import AgentCore
import Testing

@Suite("Rate limiter")
struct RateLimiterTests {
    let t0 = ContinuousClock.now

    func at(_ seconds: Double) -> ContinuousClock.Instant { t0.advanced(by: .seconds(seconds)) }

    @Test("fixed window: admits the limit, rejects with the time to the window's end, resets at the boundary")
    func fixedWindow() {
        var limiter = RateLimiter(
            policy: RateLimitPolicy(strategy: .fixedWindow, requestsPerWindow: 3, window: .seconds(10)))
        let result1 = limiter.acquire(at: at(0))
        #expect(result1 == .admitted)
        let result2 = limiter.acquire(at: at(1))
        #expect(result2 == .admitted)
        let result3 = limiter.acquire(at: at(2))
        #expect(result3 == .admitted)
        let result4 = limiter.acquire(at: at(4))
        #expect(result4 == .rejected(dimension: .requests, retryAfter: .seconds(6)))
        #expect(limiter.currentRequests(at: at(9.9)) == 3)
        let result5 = limiter.acquire(at: at(10))
        #expect(result5 == .admitted, "a new window starts at 10 s")
        #expect(limiter.currentRequests(at: at(10)) == 1)
        // Boundaries stay aligned: 25 s is in the window [20, 30).
        let result6 = limiter.acquire(at: at(25))
        #expect(result6 == .admitted)
        let result7 = limiter.acquire(at: at(26))
        #expect(result7 == .admitted)
        let result8 = limiter.acquire(at: at(27))
        #expect(result8 == .admitted)
        let result9 = limiter.acquire(at: at(28))
        #expect(result9 == .rejected(dimension: .requests, retryAfter: .seconds(2)))
    }

    @Test("sliding window: capacity frees exactly when old requests leave the window")
    func slidingWindow() {
        var limiter = RateLimiter(
            policy: RateLimitPolicy(strategy: .slidingWindow, requestsPerWindow: 2, window: .seconds(10)))
        let result10 = limiter.acquire(at: at(0))
        #expect(result10 == .admitted)
        let result11 = limiter.acquire(at: at(5))
        #expect(result11 == .admitted)
        let result12 = limiter.acquire(at: at(9))
        #expect(result12 == .rejected(dimension: .requests, retryAfter: .seconds(1)))
        let result13 = limiter.acquire(at: at(10))
        #expect(result13 == .admitted, "the request at 0 s left the window")
        let result14 = limiter.acquire(at: at(12))
        #expect(result14 == .rejected(dimension: .requests, retryAfter: .seconds(3)))
        #expect(limiter.currentRequests(at: at(14.9)) == 2)
        #expect(limiter.currentRequests(at: at(20)) == 0)
    }

    @Test("token bucket: bursts up to the limit, then refills continuously")
    func tokenBucket() {
        var limiter = RateLimiter(
            policy: RateLimitPolicy(strategy: .tokenBucket, requestsPerWindow: 4, window: .seconds(4)))
        for _ in 0..<4 {
            let result15 = limiter.acquire(at: at(0))
            #expect(result15 == .admitted)
        }
        let result16 = limiter.acquire(at: at(0))
        #expect(result16 == .rejected(dimension: .requests, retryAfter: .seconds(1)))
        let result17 = limiter.acquire(at: at(0.5))
        #expect(result17 == .rejected(dimension: .requests, retryAfter: .milliseconds(500)))
        let result18 = limiter.acquire(at: at(1))
        #expect(result18 == .admitted, "one request refilled per second")
        let result19 = limiter.acquire(at: at(1))
        #expect(result19 != .admitted)
        let result20 = limiter.acquire(at: at(100))
        #expect(result20 == .admitted, "refill caps at the limit")
        for _ in 0..<3 {
            let result21 = limiter.acquire(at: at(100))
            #expect(result21 == .admitted)
        }
        let result22 = limiter.acquire(at: at(100))
        #expect(result22 != .admitted)
    }

    @Test(
        "tokens per window (TPM): a request costs its tokens; too large a request can never fit",
        arguments: RateLimitPolicy.Strategy.allCases)
    func tokensPerWindow(strategy: RateLimitPolicy.Strategy) {
        var limiter = RateLimiter(
            policy: RateLimitPolicy(strategy: strategy, tokensPerWindow: 1000, window: .seconds(60)))
        let result23 = limiter.acquire(tokens: 600, at: at(0))
        #expect(result23 == .admitted)
        #expect(limiter.currentTokens(at: at(0)) == 600)
        guard case .rejected(.tokens, let retry?) = limiter.acquire(tokens: 500, at: at(1)) else {
            Issue.record("500 more tokens must be refused while 600 of 1000 are used")
            return
        }
        #expect(retry > .zero && retry <= .seconds(60))
        let result24 = limiter.acquire(tokens: 400, at: at(1))
        #expect(result24 == .admitted)
        let result25 = limiter.acquire(tokens: 1001, at: at(2))
        #expect(result25 == .rejected(dimension: .tokens, retryAfter: nil))
    }

    @Test("requests and tokens together: the binding limit is reported, nothing is consumed on rejection")
    func bothDimensions() {
        var limiter = RateLimiter(
            policy: RateLimitPolicy(
                strategy: .slidingWindow, requestsPerWindow: 10, tokensPerWindow: 100, window: .seconds(60)))
        let result26 = limiter.acquire(tokens: 90, at: at(0))
        #expect(result26 == .admitted)
        let result27 = limiter.acquire(tokens: 20, at: at(1))
        #expect(result27 == .rejected(dimension: .tokens, retryAfter: .seconds(59)))
        #expect(limiter.currentRequests(at: at(1)) == 1, "a rejected request is not counted")
        let result28 = limiter.acquire(tokens: 10, at: at(1))
        #expect(result28 == .admitted)
    }

    @Test("a cluster share divides the limit (rounded down) and is re-divided on rebalance")
    func share() {
        var limiter = RateLimiter(
            policy: RateLimitPolicy(strategy: .fixedWindow, requestsPerWindow: 10, window: .seconds(60)),
            share: 4.0 / 12.0)
        #expect(limiter.localRequestLimit == 3)
        for _ in 0..<3 {
            let result29 = limiter.acquire(at: at(0))
            #expect(result29 == .admitted)
        }
        let result30 = limiter.acquire(at: at(0))
        #expect(result30 != .admitted)
        limiter.setShare(6.0 / 12.0)
        #expect(limiter.localRequestLimit == 5)
        let result31 = limiter.acquire(at: at(1))
        #expect(result31 == .admitted, "usage is kept, the limit grew")
        let result32 = limiter.acquire(at: at(1))
        #expect(result32 == .admitted)
        let result33 = limiter.acquire(at: at(1))
        #expect(result33 != .admitted)
        #expect(limiter.utilisation(at: at(1)) == 1)
        limiter.setShare(0)
        #expect(limiter.localRequestLimit == 0)
    }

    @Test(
        """
        shares that are whole numbers of requests are not cut by floating-point error: the instances' limits add \
        up to the global one
        """
    )
    func shareWithoutRoundingLoss() {
        // 600 × (11 / 15) is 439.99999999999994 in floating point, 3500 × (9 / 35) 899.9999999999999.
        for (global, owned, partitions) in [
            (600, 11, 15), (600, 41, 50), (3_500, 9, 35), (30_000, 13, 24), (200_000, 23, 40),
        ] {
            let policy = RateLimitPolicy(requestsPerWindow: global, tokensPerWindow: global, window: .seconds(60))
            let mine = RateLimiter(policy: policy, share: Double(owned) / Double(partitions))
            let rest = RateLimiter(policy: policy, share: Double(partitions - owned) / Double(partitions))
            #expect(mine.localRequestLimit == global * owned / partitions, "\(global) × \(owned)/\(partitions)")
            #expect(mine.localTokenLimit == global * owned / partitions)
            #expect(
                (mine.localRequestLimit ?? 0) + (rest.localRequestLimit ?? 0) == global,
                "the two instances add up to the global limit")
        }
        // A true fraction is still rounded down.
        let third = RateLimiter(policy: RateLimitPolicy(requestsPerWindow: 10, window: .seconds(60)), share: 1.0 / 3.0)
        #expect(third.localRequestLimit == 3)
    }

    @Test("a new policy restarts counting when its strategy changes")
    func policyChange() {
        var limiter = RateLimiter(
            policy: RateLimitPolicy(strategy: .fixedWindow, requestsPerWindow: 1, window: .seconds(60)))
        let result34 = limiter.acquire(at: at(0))
        #expect(result34 == .admitted)
        let result35 = limiter.acquire(at: at(0))
        #expect(result35 != .admitted)
        limiter.setPolicy(RateLimitPolicy(strategy: .fixedWindow, requestsPerWindow: 2, window: .seconds(60)))
        let result36 = limiter.acquire(at: at(0))
        #expect(result36 == .admitted, "the limit rose to 2 with the count kept")
        let result37 = limiter.acquire(at: at(0))
        #expect(result37 != .admitted)
        limiter.setPolicy(RateLimitPolicy(strategy: .tokenBucket, requestsPerWindow: 2, window: .seconds(60)))
        let result38 = limiter.acquire(at: at(0))
        #expect(result38 == .admitted)
    }

    @Test("no limits: everything is admitted")
    func unlimited() {
        var limiter = RateLimiter(policy: RateLimitPolicy())
        for index in 0..<1000 {
            let decision = limiter.acquire(tokens: 100_000, at: at(Double(index) / 1000))
            #expect(decision == .admitted)
        }
        #expect(limiter.utilisation(at: at(1)) == 0)
    }

    @Test("concurrency limit: slots are taken and returned")
    func concurrency() {
        var limiter = ConcurrencyLimiter(limit: 2)
        let result39 = limiter.tryAcquire()
        #expect(result39)
        let result40 = limiter.tryAcquire()
        #expect(result40)
        let third = limiter.tryAcquire()
        #expect(!third)
        limiter.release()
        #expect(limiter.inFlight == 1)
        let result41 = limiter.tryAcquire()
        #expect(result41)
        limiter.setLimit(1)
        let overNewLimit = limiter.tryAcquire()
        #expect(!overNewLimit)
        limiter.release()
        limiter.release()
        let result42 = limiter.tryAcquire()
        #expect(result42)
    }
}
