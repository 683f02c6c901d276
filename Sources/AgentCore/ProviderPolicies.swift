public import Common
public import Signals

/// What a provider's agents admit and charge by, as the configuration file sets it at start and a
/// `configure_provider` changes it at run time: rate limit, circuit breaker, prices, models and
/// the concurrency limit.
///
/// One set of rules, whatever sets a policy: each policy's `validate()` (``RateLimitPolicy``,
/// ``CircuitBreakerPolicy``, ``PriceTable``, ``ServedModels``, ...) throws ``Invalid`` naming the
/// field relative to the policy (`circuit_breaker.minimum_requests`), checked on the resulting
/// policy (defaults included). The configuration file adds its path, line and key path to that
/// field, a control signal `data.`, a command-line option the option's name.
public struct ProviderPolicies: Sendable, Hashable {
    /// A policy value that cannot be used, naming the field (`circuit_breaker.minimum_requests`).
    public typealias Invalid = InvalidSetting

    public var rateLimit: RateLimitPolicy
    public var breaker: CircuitBreakerPolicy
    public var prices: PriceTable
    public var models: ServedModels
    /// Upstream calls in flight per instance.
    public var maxConcurrentCalls: Int

    public init(
        rateLimit: RateLimitPolicy = RateLimitPolicy(), breaker: CircuitBreakerPolicy = CircuitBreakerPolicy(),
        prices: PriceTable = PriceTable(), models: ServedModels, maxConcurrentCalls: Int = 512
    ) {
        self.rateLimit = rateLimit
        self.breaker = breaker
        self.prices = prices
        self.models = models
        self.maxConcurrentCalls = maxConcurrentCalls
    }

    /// Every rule of every policy.
    public func validate() throws(Invalid) {
        try rateLimit.validate()
        try breaker.validate()
        try prices.validate()
        try models.validate()
        try Self.validate(maxConcurrentCalls: maxConcurrentCalls)
    }

    /// `max_concurrent_calls`: at least 1.
    public static func validate(maxConcurrentCalls: Int) throws(Invalid) {
        try SettingRule.atLeast(maxConcurrentCalls, 1, at: ["max_concurrent_calls"])
    }

    /// The sections of one `configure_provider`, as policies. A present section replaces that
    /// policy whole (members it leaves out take their defaults).
    public struct Change: Sendable, Hashable {
        public var rateLimit: RateLimitPolicy?
        public var breaker: CircuitBreakerPolicy?
        public var prices: PriceTable?
        public var models: [String]?
        public var defaultModel: String?
        public var maxConcurrentCalls: Int?

        /// Each section of `change` checked on its own, with the rules the configuration file
        /// uses. Where sections meet (the default model among the models) is checked by
        /// ``applied(to:)``.
        public init(_ change: ConfigureProvider) throws(Invalid) {
            if let limit = change.rateLimit {
                let policy = RateLimitPolicy(
                    strategy: try RateLimitPolicy.Strategy(named: limit.strategy),
                    requestsPerWindow: limit.requestsPerWindow, tokensPerWindow: limit.tokensPerWindow,
                    window: .milliseconds(limit.windowMs),
                    batchReserve: limit.batchReserve ?? RateLimitPolicy.defaultBatchReserve
                )
                try policy.validate()
                rateLimit = policy
            }
            if let section = change.circuitBreaker {
                let defaults = CircuitBreakerPolicy()
                let policy = CircuitBreakerPolicy(
                    consecutiveFailures: section.consecutiveFailures ?? defaults.consecutiveFailures,
                    failureRateThreshold: section.failureRateThreshold,
                    minimumRequests: section.minimumRequests ?? defaults.minimumRequests,
                    rateWindowSize: section.rateWindowSize ?? defaults.rateWindowSize,
                    openTimeout: section.openTimeoutMs.map { .milliseconds($0) } ?? defaults.openTimeout,
                    halfOpenMaxProbes: section.halfOpenMaxProbes ?? defaults.halfOpenMaxProbes,
                    halfOpenSuccessesToClose: section.halfOpenSuccessesToClose ?? defaults.halfOpenSuccessesToClose,
                    countedFailures: try section.countedFailures.map(CircuitBreakerPolicy.FailureKind.named)
                        ?? defaults.countedFailures
                )
                try policy.validate()
                breaker = policy
            }
            if let prices = change.prices {
                let table = PriceTable(prices)
                try table.validate()
                self.prices = table
            }
            if let models = change.models {
                try ServedModels.validate(models: models)
                self.models = models
            }
            if let model = change.defaultModel {
                try SettingRule.nonEmpty(model, at: ["default_model"])
                defaultModel = model
            }
            if let limit = change.maxConcurrentCalls {
                try ProviderPolicies.validate(maxConcurrentCalls: limit)
                maxConcurrentCalls = limit
            }
        }

        /// `current` with this change's sections in place of its own; the default model must be
        /// one of the resulting models when either changes.
        public func applied(to current: ProviderPolicies) throws(Invalid) -> ProviderPolicies {
            var result = current
            if let rateLimit { result.rateLimit = rateLimit }
            if let breaker { result.breaker = breaker }
            if let prices { result.prices = prices }
            if let models { result.models.models = models }
            if let defaultModel { result.models.defaultModel = defaultModel }
            if let maxConcurrentCalls { result.maxConcurrentCalls = maxConcurrentCalls }
            if models != nil || defaultModel != nil { try result.models.validate() }
            return result
        }
    }
}
