public import Common

/// `configure_provider` (all providers): runtime configuration of a provider's rate limit, circuit
/// breaker, prices, models and concurrency. Published to the compacted control topic
/// `llm.control.<provider>`; every agent instance of that provider applies it.
///
/// Every section is optional, but at least one must be present. A present section **replaces** that
/// section entirely (absent members inside it take their defaults); absent sections are left as
/// they are. On the control topic each section should be its own message, keyed by the section's
/// wire name (`perSection`), so compaction keeps the latest value of every section.
///
/// When `request_id` is given, every instance answers with `provider_configured`.
///
/// Decoding checks structure and types only (and that something is set). What the values may be
/// is the agent's rule, the same as for the configuration file: `ProviderPolicies.Change` in
/// AgentCore, whose refusal the agent answers in `provider_configured.error` (`data.<field>: ...`).
public struct ConfigureProvider: Sendable, Hashable, Codable {
    /// The sections a `configure_provider` can set, by wire name.
    public enum Section: String, Sendable, Hashable, CaseIterable {
        case rateLimit = "rate_limit"
        case circuitBreaker = "circuit_breaker"
        case prices
        case models
        case defaultModel = "default_model"
        case maxConcurrentCalls = "max_concurrent_calls"
    }

    /// `rate_limit`: the provider's cluster-wide limits (each instance enforces its share).
    public struct RateLimit: Sendable, Hashable, Codable {
        /// `fixed_window`, `sliding_window` or `token_bucket`.
        public var strategy: String
        /// Requests per window for the whole provider (RPM for a one-minute window); nil = unlimited. >= 1.
        public var requestsPerWindow: Int?
        /// Tokens per window for the whole provider (TPM for a one-minute window); nil = unlimited. >= 1.
        public var tokensPerWindow: Int?
        /// Window length in milliseconds. >= 1.
        public var windowMs: Int
        /// The part of each limit batch requests leave to interactive ones; nil = 0.2. In [0, 1).
        public var batchReserve: Double?

        public init(
            strategy: String, requestsPerWindow: Int? = nil, tokensPerWindow: Int? = nil, windowMs: Int,
            batchReserve: Double? = nil
        ) {
            self.strategy = strategy
            self.requestsPerWindow = requestsPerWindow
            self.tokensPerWindow = tokensPerWindow
            self.windowMs = windowMs
            self.batchReserve = batchReserve
        }

        enum CodingKeys: String, CodingKey {
            case strategy
            case requestsPerWindow = "requests_per_window"
            case tokensPerWindow = "tokens_per_window"
            case windowMs = "window_ms"
            case batchReserve = "batch_reserve"
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            strategy = try c.decode(String.self, forKey: .strategy)
            requestsPerWindow = try c.decodeIfPresent(Int.self, forKey: .requestsPerWindow)
            tokensPerWindow = try c.decodeIfPresent(Int.self, forKey: .tokensPerWindow)
            windowMs = try c.decode(Int.self, forKey: .windowMs)
            batchReserve = try c.decodeIfPresent(Double.self, forKey: .batchReserve)
        }
    }

    /// `circuit_breaker`: when the provider's circuit opens and how it closes again. Absent members
    /// take the agent's defaults.
    public struct CircuitBreaker: Sendable, Hashable, Codable {
        /// Open after this many consecutive counted failures. >= 1.
        public var consecutiveFailures: Int?
        /// Also open when the failure rate over the last `rate_window_size` outcomes reaches this
        /// fraction. In (0, 1].
        public var failureRateThreshold: Double?
        /// Outcomes needed before the failure rate is judged. >= 1, at most `rate_window_size` when both are given.
        public var minimumRequests: Int?
        /// Outcomes the failure rate is computed over. >= 1.
        public var rateWindowSize: Int?
        /// How long the circuit stays open before probing, in milliseconds. >= 1.
        public var openTimeoutMs: Int?
        /// Probes admitted at once while half-open. >= 1.
        public var halfOpenMaxProbes: Int?
        /// Successful probes that close the circuit. >= 1.
        public var halfOpenSuccessesToClose: Int?
        /// Which failures count (`upstream_5xx`, `timeout`, `connection`, `rate_limited`,
        /// `invalid_request`, `authentication`, `other`); `[]` counts none, so the circuit never opens.
        public var countedFailures: [String]?

        public init(
            consecutiveFailures: Int? = nil, failureRateThreshold: Double? = nil, minimumRequests: Int? = nil,
            rateWindowSize: Int? = nil, openTimeoutMs: Int? = nil, halfOpenMaxProbes: Int? = nil,
            halfOpenSuccessesToClose: Int? = nil, countedFailures: [String]? = nil
        ) {
            self.consecutiveFailures = consecutiveFailures
            self.failureRateThreshold = failureRateThreshold
            self.minimumRequests = minimumRequests
            self.rateWindowSize = rateWindowSize
            self.openTimeoutMs = openTimeoutMs
            self.halfOpenMaxProbes = halfOpenMaxProbes
            self.halfOpenSuccessesToClose = halfOpenSuccessesToClose
            self.countedFailures = countedFailures
        }

        enum CodingKeys: String, CodingKey {
            case consecutiveFailures = "consecutive_failures"
            case failureRateThreshold = "failure_rate_threshold"
            case minimumRequests = "minimum_requests"
            case rateWindowSize = "rate_window_size"
            case openTimeoutMs = "open_timeout_ms"
            case halfOpenMaxProbes = "half_open_max_probes"
            case halfOpenSuccessesToClose = "half_open_successes_to_close"
            case countedFailures = "counted_failures"
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            consecutiveFailures = try c.decodeIfPresent(Int.self, forKey: .consecutiveFailures)
            failureRateThreshold = try c.decodeIfPresent(Double.self, forKey: .failureRateThreshold)
            minimumRequests = try c.decodeIfPresent(Int.self, forKey: .minimumRequests)
            rateWindowSize = try c.decodeIfPresent(Int.self, forKey: .rateWindowSize)
            openTimeoutMs = try c.decodeIfPresent(Int.self, forKey: .openTimeoutMs)
            halfOpenMaxProbes = try c.decodeIfPresent(Int.self, forKey: .halfOpenMaxProbes)
            halfOpenSuccessesToClose = try c.decodeIfPresent(Int.self, forKey: .halfOpenSuccessesToClose)
            countedFailures = try c.decodeIfPresent([String].self, forKey: .countedFailures)
        }
    }

    /// A model's price in USD per million tokens (`input_per_million`, `output_per_million`, both
    /// required), as the configuration file writes it.
    public typealias Price = PriceTable.Price

    /// Answer with `provider_configured` (each instance) when given.
    public var requestID: String?
    /// Topic for the answers instead of `llm.responses`.
    public var replyTo: String?
    /// Replaces the rate limit.
    public var rateLimit: RateLimit?
    /// Replaces the circuit breaker policy.
    public var circuitBreaker: CircuitBreaker?
    /// Replaces the price table: model name → price (models not listed have no known price).
    public var prices: [String: Price]?
    /// Replaces the models this provider serves (non-empty names, at least one).
    public var models: [String]?
    /// Replaces the model used when a request names none (one of `models` when both are given).
    public var defaultModel: String?
    /// Replaces the limit of upstream calls in flight on each instance. >= 1.
    public var maxConcurrentCalls: Int?

    public init(
        requestID: String? = nil, replyTo: String? = nil, rateLimit: RateLimit? = nil,
        circuitBreaker: CircuitBreaker? = nil, prices: [String: Price]? = nil, models: [String]? = nil,
        defaultModel: String? = nil, maxConcurrentCalls: Int? = nil
    ) {
        self.requestID = requestID
        self.replyTo = replyTo
        self.rateLimit = rateLimit
        self.circuitBreaker = circuitBreaker
        self.prices = prices
        self.models = models
        self.defaultModel = defaultModel
        self.maxConcurrentCalls = maxConcurrentCalls
    }

    /// The sections present.
    public var presentSections: Set<Section> {
        var out: Set<Section> = []
        if rateLimit != nil { out.insert(.rateLimit) }
        if circuitBreaker != nil { out.insert(.circuitBreaker) }
        if prices != nil { out.insert(.prices) }
        if models != nil { out.insert(.models) }
        if defaultModel != nil { out.insert(.defaultModel) }
        if maxConcurrentCalls != nil { out.insert(.maxConcurrentCalls) }
        return out
    }

    /// Wire names of the sections present, sorted (`["circuit_breaker", "rate_limit"]`).
    public var sections: [String] { presentSections.map(\.rawValue).sorted() }

    /// One `configure_provider` per present section, each with the section's wire name as its
    /// Kafka message key (and this signal's `request_id` / `reply_to`), sorted by key: what to
    /// publish to the compacted control topic.
    public var perSection: [(key: String, configuration: ConfigureProvider)] {
        presentSections.sorted { $0.rawValue < $1.rawValue }.map { section in
            var one = ConfigureProvider(requestID: requestID, replyTo: replyTo)
            switch section {
            case .rateLimit: one.rateLimit = rateLimit
            case .circuitBreaker: one.circuitBreaker = circuitBreaker
            case .prices: one.prices = prices
            case .models: one.models = models
            case .defaultModel: one.defaultModel = defaultModel
            case .maxConcurrentCalls: one.maxConcurrentCalls = maxConcurrentCalls
            }
            return (section.rawValue, one)
        }
    }

    enum CodingKeys: String, CodingKey {
        case prices, models
        case requestID = "request_id"
        case replyTo = "reply_to"
        case rateLimit = "rate_limit"
        case circuitBreaker = "circuit_breaker"
        case defaultModel = "default_model"
        case maxConcurrentCalls = "max_concurrent_calls"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func invalid(_ key: CodingKeys, _ detail: String) -> SignalDecodingError {
            SignalDecodingError(.invalidValue, at: c.codingPath + [key], detail)
        }
        requestID = try c.decodeIfPresent(String.self, forKey: .requestID)
        if requestID?.isEmpty == true { throw invalid(.requestID, "must not be empty") }
        replyTo = try c.decodeIfPresent(String.self, forKey: .replyTo)
        if replyTo?.isEmpty == true { throw invalid(.replyTo, "must not be empty") }
        rateLimit = try c.decodeIfPresent(RateLimit.self, forKey: .rateLimit)
        circuitBreaker = try c.decodeIfPresent(CircuitBreaker.self, forKey: .circuitBreaker)
        prices = try c.decodeIfPresent([String: Price].self, forKey: .prices)
        models = try c.decodeIfPresent([String].self, forKey: .models)
        defaultModel = try c.decodeIfPresent(String.self, forKey: .defaultModel)
        maxConcurrentCalls = try c.decodeIfPresent(Int.self, forKey: .maxConcurrentCalls)
        if presentSections.isEmpty {
            let names = Section.allCases.map(\.rawValue).joined(separator: ", ")
            throw SignalDecodingError(
                .invalidValue, at: c.codingPath, "configure_provider sets nothing: give at least one of \(names)")
        }
    }
}
