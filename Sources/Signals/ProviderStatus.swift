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
        /// Transitions made since the instance started (all kinds).
        public var transitions: Int?
        /// The last transitions, oldest first.
        public var recentTransitions: [Transition]?

        public init(
            state: String, failureCount: Int, retryAfterMs: Int? = nil, transitions: Int? = nil,
            recentTransitions: [Transition]? = nil
        ) {
            self.state = state
            self.failureCount = failureCount
            self.retryAfterMs = retryAfterMs
            self.transitions = transitions
            self.recentTransitions = recentTransitions
        }

        enum CodingKeys: String, CodingKey {
            case state, transitions
            case failureCount = "failure_count"
            case retryAfterMs = "retry_after_ms"
            case recentTransitions = "recent_transitions"
        }

        /// One state change of the circuit breaker.
        public struct Transition: Sendable, Hashable, Codable {
            /// When, RFC 3339 (kept as written).
            public var at: String
            /// `closed`, `open`, `half_open`.
            public var from: String
            /// `closed`, `open`, `half_open`.
            public var to: String
            /// Why, e.g. `5 consecutive failures (last: timeout)`.
            public var reason: String

            public init(at: String, from: String, to: String, reason: String) {
                self.at = at
                self.from = from
                self.to = to
                self.reason = reason
            }
        }
    }

    public struct RateLimiter: Sendable, Hashable, Codable {
        /// Requests allowed per window on this instance (its share of the provider's limit).
        public var limit: Int
        public var windowMs: Int
        public var currentCount: Int
        /// The provider's cluster-wide limit this share was divided from.
        public var providerLimit: Int?
        /// Tokens allowed per window on this instance (its share of `provider_tokens_limit`).
        public var tokensLimit: Int?
        /// The provider's cluster-wide tokens per window.
        public var providerTokensLimit: Int?
        /// 0...1: the fraction of the request topic's partitions this instance owns (its share of
        /// the provider's limits).
        public var share: Double?
        /// `fixed_window`, `sliding_window`, `token_bucket`.
        public var strategy: String?

        public init(
            limit: Int, windowMs: Int, currentCount: Int, providerLimit: Int? = nil, tokensLimit: Int? = nil,
            providerTokensLimit: Int? = nil, share: Double? = nil, strategy: String? = nil
        ) {
            self.limit = limit
            self.windowMs = windowMs
            self.currentCount = currentCount
            self.providerLimit = providerLimit
            self.tokensLimit = tokensLimit
            self.providerTokensLimit = providerTokensLimit
            self.share = share
            self.strategy = strategy
        }

        enum CodingKeys: String, CodingKey {
            case limit, share, strategy
            case windowMs = "window_ms"
            case currentCount = "current_count"
            case providerLimit = "provider_limit"
            case tokensLimit = "tokens_limit"
            case providerTokensLimit = "provider_tokens_limit"
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
        public var p90LatencyMs: Double?
        public var maxLatencyMs: Double?
        public var promptTokens: Int?
        public var completionTokens: Int?
        /// Requests refused at admission (deadline, rate limit, circuit, concurrency, model).
        public var rejectedRequests: Int?
        /// Redelivered requests answered from the ledger without calling the provider.
        public var ledgerRepeats: Int?
        /// Requests whose call reached the provider again after a crash or rebalance because it was
        /// in flight (the bounded double-billing window).
        public var providerRecalls: Int?
        /// Failed requests by `error_type`.
        public var errorsByType: [String: Int]?
        /// Completion tokens per second of generation (the upstream's own generation time when it
        /// reports one, e.g. Ollama's `eval_duration`, else the call latency).
        public var tokensPerSecond: Double? = nil
        /// How long the last model load took (`load_model`, local providers).
        public var loadTimeMs: Double? = nil
        /// Fetched requests dropped unhandled because their partition was revoked, or assigned
        /// again, before their turn came (the partition's owner reads them again).
        public var staleDropped: Int? = nil

        public init(
            totalRequests: Int, successRate: Double, successfulRequests: Int? = nil, failedRequests: Int? = nil,
            inFlight: Int? = nil, averageLatencyMs: Double? = nil, p50LatencyMs: Double? = nil,
            p99LatencyMs: Double? = nil, totalTokens: Int? = nil, totalCostUSD: Double? = nil,
            p90LatencyMs: Double? = nil, maxLatencyMs: Double? = nil, promptTokens: Int? = nil,
            completionTokens: Int? = nil, rejectedRequests: Int? = nil, ledgerRepeats: Int? = nil,
            providerRecalls: Int? = nil, errorsByType: [String: Int]? = nil
        ) {
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
            self.p90LatencyMs = p90LatencyMs
            self.maxLatencyMs = maxLatencyMs
            self.promptTokens = promptTokens
            self.completionTokens = completionTokens
            self.rejectedRequests = rejectedRequests
            self.ledgerRepeats = ledgerRepeats
            self.providerRecalls = providerRecalls
            self.errorsByType = errorsByType
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
            case p90LatencyMs = "p90_latency_ms"
            case maxLatencyMs = "max_latency_ms"
            case promptTokens = "prompt_tokens"
            case completionTokens = "completion_tokens"
            case rejectedRequests = "rejected_requests"
            case ledgerRepeats = "ledger_repeats"
            case providerRecalls = "provider_recalls"
            case errorsByType = "errors_by_type"
            case tokensPerSecond = "tokens_per_second"
            case loadTimeMs = "load_time_ms"
            case staleDropped = "stale_dropped"
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
    /// The same figures per model (model name → metrics).
    public var modelMetrics: [String: Metrics]?
    /// Partitions of the provider's request topic this instance owns, sorted.
    public var ownedPartitions: [Int]?
    /// How many control signals (`configure_provider`, ...) this instance has applied.
    public var configVersion: Int?
    /// Milliseconds since this instance started.
    public var uptimeMs: Int?
    /// Concurrent calls admitted now: `max_concurrent_calls`, shrunk while the machine's load is
    /// between a soft and a hard threshold (local providers).
    public var concurrencyLimit: Int? = nil
    /// How often this instance publishes its status (ms): a router counts missed intervals
    /// against it to tell a stale instance.
    public var statusIntervalMs: Int? = nil

    public init(
        provider: String, status: Health, circuitBreaker: CircuitBreaker, rateLimiter: RateLimiter,
        metrics: Metrics, instance: String? = nil, models: [String]? = nil, features: [String]? = nil,
        requestID: String? = nil, modelMetrics: [String: Metrics]? = nil, ownedPartitions: [Int]? = nil,
        configVersion: Int? = nil, uptimeMs: Int? = nil
    ) {
        self.provider = provider
        self.status = status
        self.circuitBreaker = circuitBreaker
        self.rateLimiter = rateLimiter
        self.metrics = metrics
        self.instance = instance
        self.models = models
        self.features = features
        self.requestID = requestID
        self.modelMetrics = modelMetrics
        self.ownedPartitions = ownedPartitions
        self.configVersion = configVersion
        self.uptimeMs = uptimeMs
    }

    enum CodingKeys: String, CodingKey {
        case provider, status, metrics, instance, models, features
        case circuitBreaker = "circuit_breaker"
        case rateLimiter = "rate_limiter"
        case requestID = "request_id"
        case modelMetrics = "model_metrics"
        case ownedPartitions = "owned_partitions"
        case configVersion = "config_version"
        case uptimeMs = "uptime_ms"
        case concurrencyLimit = "concurrency_limit"
        case statusIntervalMs = "status_interval_ms"
    }
}
