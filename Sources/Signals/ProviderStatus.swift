/// `provider_status`: health and load of a provider (instance). Published periodically to
/// `llm.status` (compacted, keyed by provider/instance) and as the answer to `get_provider_status`.
public struct ProviderStatus: Sendable, Hashable, Codable {
    /// `healthy`, `degraded`, `unavailable`, `stopping`; open set.
    public typealias Health = String

    public struct CircuitBreaker: Sendable, Hashable, Codable {
        /// `closed`, `open`, `half_open`.
        public var state: String
        public var failureCount: Int
        /// While open: ms until the next probe is admitted.
        public var retryAfterMs: Int?

        public init(state: String, failureCount: Int, retryAfterMs: Int? = nil) {
            self.state = state
            self.failureCount = failureCount
            self.retryAfterMs = retryAfterMs
        }

        enum CodingKeys: String, CodingKey {
            case state
            case failureCount = "failure_count"
            case retryAfterMs = "retry_after_ms"
        }
    }

    public struct RateLimiter: Sendable, Hashable, Codable {
        /// Requests allowed per window on this instance (its share of the provider's limit).
        public var limit: Int
        public var windowMs: Int
        public var currentCount: Int
        /// The provider's cluster-wide limit this share was divided from.
        public var providerLimit: Int?

        public init(limit: Int, windowMs: Int, currentCount: Int, providerLimit: Int? = nil) {
            self.limit = limit
            self.windowMs = windowMs
            self.currentCount = currentCount
            self.providerLimit = providerLimit
        }

        enum CodingKeys: String, CodingKey {
            case limit
            case windowMs = "window_ms"
            case currentCount = "current_count"
            case providerLimit = "provider_limit"
        }
    }

    public struct Metrics: Sendable, Hashable, Codable {
        public var totalRequests: Int
        /// 0...1.
        public var successRate: Double
        public var successfulRequests: Int?
        public var failedRequests: Int?
        public var inFlight: Int?
        public var averageLatencyMs: Double?
        public var p50LatencyMs: Double?
        public var p99LatencyMs: Double?
        public var totalTokens: Int?
        public var totalCostUSD: Double?

        public init(totalRequests: Int, successRate: Double, successfulRequests: Int? = nil, failedRequests: Int? = nil,
                    inFlight: Int? = nil, averageLatencyMs: Double? = nil, p50LatencyMs: Double? = nil,
                    p99LatencyMs: Double? = nil, totalTokens: Int? = nil, totalCostUSD: Double? = nil) {
            self.totalRequests = totalRequests
            self.successRate = successRate
            self.successfulRequests = successfulRequests
            self.failedRequests = failedRequests
            self.inFlight = inFlight
            self.averageLatencyMs = averageLatencyMs
            self.p50LatencyMs = p50LatencyMs
            self.p99LatencyMs = p99LatencyMs
            self.totalTokens = totalTokens
            self.totalCostUSD = totalCostUSD
        }

        enum CodingKeys: String, CodingKey {
            case totalRequests = "total_requests"
            case successRate = "success_rate"
            case successfulRequests = "successful_requests"
            case failedRequests = "failed_requests"
            case inFlight = "in_flight"
            case averageLatencyMs = "average_latency_ms"
            case p50LatencyMs = "p50_latency_ms"
            case p99LatencyMs = "p99_latency_ms"
            case totalTokens = "total_tokens"
            case totalCostUSD = "total_cost_usd"
        }
    }

    public var provider: String
    public var status: Health
    public var circuitBreaker: CircuitBreaker
    public var rateLimiter: RateLimiter
    public var metrics: Metrics
    /// Agent instance id (status is keyed by provider/instance).
    public var instance: String?
    /// Models this instance can serve now.
    public var models: [String]?
    /// Features (`feature_check` names) this provider supports.
    public var features: [String]?
    /// Set when answering a `get_provider_status` that carried one.
    public var requestID: String?

    public init(provider: String, status: Health, circuitBreaker: CircuitBreaker, rateLimiter: RateLimiter,
                metrics: Metrics, instance: String? = nil, models: [String]? = nil, features: [String]? = nil,
                requestID: String? = nil) {
        self.provider = provider
        self.status = status
        self.circuitBreaker = circuitBreaker
        self.rateLimiter = rateLimiter
        self.metrics = metrics
        self.instance = instance
        self.models = models
        self.features = features
        self.requestID = requestID
    }

    enum CodingKeys: String, CodingKey {
        case provider, status, metrics, instance, models, features
        case circuitBreaker = "circuit_breaker"
        case rateLimiter = "rate_limiter"
        case requestID = "request_id"
    }
}
