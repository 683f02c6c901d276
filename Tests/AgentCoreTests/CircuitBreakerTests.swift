import AgentCore
import Testing

@Suite("Circuit breaker")
struct CircuitBreakerTests {
    let t0 = ContinuousClock.now

    func at(_ seconds: Double) -> ContinuousClock.Instant { t0.advanced(by: .seconds(seconds)) }

    func policy(failures: Int = 3, probes: Int = 2, successes: Int = 2) -> CircuitBreakerPolicy {
        CircuitBreakerPolicy(
            consecutiveFailures: failures, openTimeout: .seconds(10), halfOpenMaxProbes: probes,
            halfOpenSuccessesToClose: successes)
    }

    @Test("closed → open after N consecutive counted failures; a success resets the streak")
    func opensAfterConsecutiveFailures() {
        var breaker = CircuitBreaker(policy: policy())
        breaker.record(.failure(.upstreamServerError), probe: false, at: at(0))
        breaker.record(.failure(.timeout), probe: false, at: at(0))
        breaker.record(.success, probe: false, at: at(0))
        breaker.record(.failure(.connection), probe: false, at: at(1))
        breaker.record(.failure(.connection), probe: false, at: at(1))
        #expect(breaker.state == .closed)
        breaker.record(.failure(.upstreamServerError), probe: false, at: at(2))
        #expect(breaker.state == .open)
        let result1 = breaker.admit(at: at(3))
        #expect(result1 == .rejected(retryAfter: .seconds(9)))
        #expect(breaker.transitions.last?.from == .closed)
        #expect(breaker.transitions.last?.to == .open)
        let reason = breaker.transitions.last?.reason ?? ""
        #expect(reason.firstMatch(of: /^(\d+) consecutive failures/).flatMap { Int($0.1) } == 3, "\(reason)")
        #expect(breaker.transitionCounts[.open] == 1)
    }

    @Test("failures that do not count (invalid requests) never open the circuit")
    func uncountedFailures() {
        var breaker = CircuitBreaker(policy: policy())
        for _ in 0..<10 { breaker.record(.failure(.invalidRequest), probe: false, at: at(0)) }
        #expect(breaker.state == .closed)
        breaker.setPolicy(CircuitBreakerPolicy(consecutiveFailures: 3, countedFailures: [.invalidRequest]))
        for _ in 0..<3 { breaker.record(.failure(.invalidRequest), probe: false, at: at(0)) }
        #expect(breaker.state == .open, "which failures count is configurable")
    }

    @Test("open → half-open after the timeout; at most K probes at once")
    func halfOpenProbeLimit() {
        var breaker = CircuitBreaker(policy: policy(probes: 2))
        for _ in 0..<3 { breaker.record(.failure(.timeout), probe: false, at: at(0)) }
        let result2 = breaker.admit(at: at(9.5))
        #expect(result2 == .rejected(retryAfter: .milliseconds(500)))
        let result3 = breaker.admit(at: at(10))
        #expect(result3 == .admitted(probe: true))
        #expect(breaker.state == .halfOpen)
        let result4 = breaker.admit(at: at(10))
        #expect(result4 == .admitted(probe: true))
        guard case .rejected = breaker.admit(at: at(10)) else {
            Issue.record("a third concurrent probe must be refused")
            return
        }
        #expect(breaker.transitions.map(\.to) == [.open, .halfOpen])
    }

    @Test("half-open → closed after M successful probes")
    func closesAfterSuccessfulProbes() {
        var breaker = CircuitBreaker(policy: policy(probes: 1, successes: 2))
        for _ in 0..<3 { breaker.record(.failure(.timeout), probe: false, at: at(0)) }
        let result5 = breaker.admit(at: at(10))
        #expect(result5 == .admitted(probe: true))
        breaker.record(.success, probe: true, at: at(10.1))
        #expect(breaker.state == .halfOpen, "one of two probes succeeded")
        let result6 = breaker.admit(at: at(10.2))
        #expect(result6 == .admitted(probe: true))
        breaker.record(.success, probe: true, at: at(10.3))
        #expect(breaker.state == .closed)
        let result7 = breaker.admit(at: at(10.4))
        #expect(result7 == .admitted(probe: false))
        #expect(breaker.transitions.map(\.to) == [.open, .halfOpen, .closed])
        #expect(breaker.transitionCounts == [.open: 1, .halfOpen: 1, .closed: 1])
        // The failure streak starts over after closing.
        breaker.record(.failure(.timeout), probe: false, at: at(11))
        breaker.record(.failure(.timeout), probe: false, at: at(11))
        #expect(breaker.state == .closed)
    }

    @Test("a failed probe reopens the circuit for another full timeout")
    func failedProbeReopens() {
        var breaker = CircuitBreaker(policy: policy(probes: 1))
        for _ in 0..<3 { breaker.record(.failure(.timeout), probe: false, at: at(0)) }
        let result8 = breaker.admit(at: at(10))
        #expect(result8 == .admitted(probe: true))
        breaker.record(.failure(.upstreamServerError), probe: true, at: at(11))
        #expect(breaker.state == .open)
        let result9 = breaker.admit(at: at(12))
        #expect(result9 == .rejected(retryAfter: .seconds(9)))
        #expect(breaker.transitions.last?.reason.contains("probe failed") == true)
        #expect(breaker.transitionCounts[.open] == 2)
    }

    @Test("optional failure-rate rule opens once enough requests were seen")
    func failureRate() {
        var breaker = CircuitBreaker(
            policy: CircuitBreakerPolicy(
                consecutiveFailures: 100, failureRateThreshold: 0.5, minimumRequests: 10, rateWindowSize: 10
            ))
        // Alternating success/failure: never 100 in a row, but a 50% failure rate.
        for index in 0..<9 {
            breaker.record(index.isMultiple(of: 2) ? .success : .failure(.timeout), probe: false, at: at(0))
        }
        #expect(breaker.state == .closed, "fewer than the minimum number of requests")
        breaker.record(.failure(.timeout), probe: false, at: at(0))
        #expect(breaker.state == .open)
        #expect(breaker.transitions.last?.reason.contains("failure rate 50%") == true)
    }

    @Test("late outcomes of calls admitted before the circuit opened change nothing")
    func lateOutcomes() {
        var breaker = CircuitBreaker(policy: policy())
        for _ in 0..<3 { breaker.record(.failure(.timeout), probe: false, at: at(0)) }
        breaker.record(.success, probe: false, at: at(1))
        breaker.record(.failure(.timeout), probe: false, at: at(1))
        #expect(breaker.state == .open)
        #expect(breaker.transitions.count == 1)
    }
}

@Suite("Circuit breaker: history and time to the next probe")
struct CircuitBreakerHistoryTests {
    let t0 = ContinuousClock.now

    @Test("the transition total keeps counting after the kept history is full; time until probe while open")
    func totalsAndProbeTime() {
        var breaker = CircuitBreaker(
            policy: CircuitBreakerPolicy(
                consecutiveFailures: 1, openTimeout: .seconds(10), halfOpenMaxProbes: 1, halfOpenSuccessesToClose: 1))
        #expect(breaker.timeUntilProbe(at: t0) == nil, "closed: no probe to wait for")
        var now = t0
        for _ in 0..<60 {
            breaker.record(.failure(.timeout), probe: false, at: now)  // closed → open
            #expect(breaker.timeUntilProbe(at: now.advanced(by: .seconds(4))) == .seconds(6))
            now = now.advanced(by: .seconds(10))
            _ = breaker.admit(at: now)  // open → half-open
            breaker.record(.success, probe: true, at: now)  // half-open → closed
        }
        #expect(breaker.transitions.count == 100, "the history keeps the latest 100")
        #expect(breaker.totalTransitions == 180, "every transition is counted")
        #expect(breaker.state == .closed)
    }
}
