import DequeModule

/// Closed → open after repeated failures (consecutive, or a failure rate); open → half-open after
/// a timeout; half-open admits a bounded number of probes; enough successful probes close it, a
/// failed probe reopens it. Every transition is recorded and counted. A value type: the owner
/// serialises access; time is passed in (`at:`).
public struct CircuitBreaker: Sendable {
    public enum State: String, Sendable, Hashable, Codable {
        case closed, open
        case halfOpen = "half_open"
    }

    public enum Decision: Sendable, Hashable {
        /// Call the provider; report the outcome with ``record(_:probe:at:)`` passing `probe`.
        case admitted(probe: Bool)
        /// The circuit is open (or half-open with all probe slots taken); retry after the delay.
        case rejected(retryAfter: Duration)
    }

    public enum Outcome: Sendable, Hashable {
        case success
        case failure(CircuitBreakerPolicy.FailureKind)
    }

    public struct Transition: Sendable, Hashable {
        public var at: ContinuousClock.Instant
        public var from: State
        public var to: State
        public var reason: String
    }

    public private(set) var policy: CircuitBreakerPolicy
    public private(set) var state: State = .closed
    /// Consecutive counted failures while closed.
    public private(set) var consecutiveFailures = 0
    /// The last transitions, oldest first (at most 100 kept).
    public private(set) var transitions: [Transition] = []
    /// Transitions ever made, by target state.
    public private(set) var transitionCounts: [State: Int] = [:]

    private var openedAt: ContinuousClock.Instant?
    private var probesInFlight = 0
    private var probeSuccesses = 0
    private var recent = Deque<Bool>()  // true = counted failure, for the failure rate

    public init(policy: CircuitBreakerPolicy = CircuitBreakerPolicy()) {
        self.policy = policy
    }

    /// Asks to call the provider now.
    public mutating func admit(at now: ContinuousClock.Instant) -> Decision {
        switch state {
        case .closed:
            return .admitted(probe: false)
        case .open:
            let reopenAt = (openedAt ?? now).advanced(by: policy.openTimeout)
            if now < reopenAt { return .rejected(retryAfter: reopenAt - now) }
            transition(to: .halfOpen, at: now, reason: "open timeout of \(policy.openTimeout) elapsed")
            return admit(at: now)
        case .halfOpen:
            guard probesInFlight < policy.halfOpenMaxProbes else {
                // Probes are out; their outcome decides. Suggest about one probe's wait.
                return .rejected(retryAfter: min(policy.openTimeout, .seconds(1)))
            }
            probesInFlight += 1
            return .admitted(probe: true)
        }
    }

    /// Reports the outcome of an admitted call.
    public mutating func record(_ outcome: Outcome, probe: Bool, at now: ContinuousClock.Instant) {
        let counted: Bool
        switch outcome {
        case .success: counted = false
        case .failure(let kind): counted = policy.countedFailures.contains(kind)
        }
        if probe {
            probesInFlight = max(0, probesInFlight - 1)
            guard state == .halfOpen else { return }
            if counted {
                transition(to: .open, at: now, reason: "probe failed (\(Self.describe(outcome)))")
            } else if outcome == .success {
                probeSuccesses += 1
                if probeSuccesses >= policy.halfOpenSuccessesToClose {
                    transition(to: .closed, at: now, reason: "\(probeSuccesses) successful probe(s)")
                }
            }
            return
        }
        guard state == .closed else { return }
        // Failures that do not count neither open the circuit nor break a failure streak.
        if case .failure = outcome, !counted { return }
        recent.append(counted)
        if recent.count > max(1, policy.rateWindowSize) { recent.removeFirst() }
        consecutiveFailures = counted ? consecutiveFailures + 1 : 0
        if counted, consecutiveFailures >= policy.consecutiveFailures {
            transition(
                to: .open, at: now,
                reason: "\(consecutiveFailures) consecutive failures (last: \(Self.describe(outcome)))")
            return
        }
        if counted, let threshold = policy.failureRateThreshold, recent.count >= policy.minimumRequests {
            let rate = Double(recent.filter { $0 }.count) / Double(recent.count)
            if rate >= threshold {
                let percent = Int((rate * 100).rounded())
                transition(to: .open, at: now, reason: "failure rate \(percent)% over the last \(recent.count) calls")
            }
        }
    }

    /// Moves an open circuit to half-open once its open timeout has passed, without waiting for
    /// a request to ask (so a status can say so at once); `true` when it moved.
    public mutating func refresh(at now: ContinuousClock.Instant) -> Bool {
        guard state == .open, let openedAt, now >= openedAt.advanced(by: policy.openTimeout) else { return false }
        transition(to: .halfOpen, at: now, reason: "open timeout of \(policy.openTimeout) elapsed")
        return true
    }

    /// While open: how long until a probe is admitted.
    public func timeUntilProbe(at now: ContinuousClock.Instant) -> Duration? {
        guard state == .open, let openedAt else { return nil }
        return max(.zero, openedAt.advanced(by: policy.openTimeout) - now)
    }

    /// Every transition since the start (``transitions`` keeps only the latest 100).
    public var totalTransitions: Int { transitionCounts.values.reduce(0, +) }

    /// Gives back a probe slot taken by ``admit(at:)`` for a call that was then not made
    /// (a later admission check refused it).
    public mutating func releaseProbe() {
        probesInFlight = max(0, probesInFlight - 1)
    }

    /// Applies a new policy (from a control signal); the current state is kept.
    public mutating func setPolicy(_ policy: CircuitBreakerPolicy) {
        self.policy = policy
    }

    private mutating func transition(to target: State, at now: ContinuousClock.Instant, reason: String) {
        let from = state
        state = target
        transitions.append(Transition(at: now, from: from, to: target, reason: reason))
        if transitions.count > 100 { transitions.removeFirst(transitions.count - 100) }
        transitionCounts[target, default: 0] += 1
        switch target {
        case .open:
            openedAt = now
            probeSuccesses = 0
        case .halfOpen:
            probesInFlight = 0
            probeSuccesses = 0
        case .closed:
            consecutiveFailures = 0
            recent.removeAll()
            openedAt = nil
        }
    }

    private static func describe(_ outcome: Outcome) -> String {
        switch outcome {
        case .success: "success"
        case .failure(let kind): kind.rawValue
        }
    }
}
