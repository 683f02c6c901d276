/// When a provider's circuit opens, how long it stays open, and how it closes again.
public struct CircuitBreakerPolicy: Sendable, Hashable, Codable {
    /// Failure kinds a breaker can count.
    public enum FailureKind: String, Sendable, Hashable, Codable, CaseIterable {
        case upstreamServerError = "upstream_5xx"
        case timeout
        case connection
        case rateLimited = "rate_limited"
        case invalidRequest = "invalid_request"
        case authentication
        case other
    }

    /// Open after this many consecutive counted failures. Default 5.
    public var consecutiveFailures: Int
    /// Optionally also open when the failure rate over the last ``rateWindowSize`` outcomes
    /// reaches this fraction (0...1), once at least ``minimumRequests`` outcomes were seen.
    public var failureRateThreshold: Double?
    public var minimumRequests: Int
    public var rateWindowSize: Int
    /// How long the circuit stays open before probing. Default 30 s.
    public var openTimeout: Duration
    /// Probes admitted at once while half-open. Default 1.
    public var halfOpenMaxProbes: Int
    /// Successful probes that close the circuit. Default 2.
    public var halfOpenSuccessesToClose: Int
    /// Which failures count. Default: upstream 5xx, timeouts and connection errors (a client's
    /// invalid request says nothing about the provider's health).
    public var countedFailures: Set<FailureKind>

    public init(
        consecutiveFailures: Int = 5,
        failureRateThreshold: Double? = nil,
        minimumRequests: Int = 20,
        rateWindowSize: Int = 50,
        openTimeout: Duration = .seconds(30),
        halfOpenMaxProbes: Int = 1,
        halfOpenSuccessesToClose: Int = 2,
        countedFailures: Set<FailureKind> = [.upstreamServerError, .timeout, .connection]
    ) {
        self.consecutiveFailures = consecutiveFailures
        self.failureRateThreshold = failureRateThreshold
        self.minimumRequests = minimumRequests
        self.rateWindowSize = rateWindowSize
        self.openTimeout = openTimeout
        self.halfOpenMaxProbes = halfOpenMaxProbes
        self.halfOpenSuccessesToClose = halfOpenSuccessesToClose
        self.countedFailures = countedFailures
    }
}
