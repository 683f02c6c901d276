import Common
public import Kafka
public import Router

// The `router:` section: how routers choose providers and continue after retryable errors.
//
// ```yaml
// router:
//   strategy: least_loaded            # least_loaded | lowest_latency | lowest_cost | weighted | priority
//   max_attempts: 3
//   total_deadline_ms: 300000
//   model_map: { chat: [openai/gpt-4o-mini, anthropic/claude-haiku-4-5] }
//   context_fallbacks: { gpt-4o-mini: claude-sonnet-4-5 }
//   providers:
//     openai: { vision: true, tools: true, streaming: true, max_context_tokens: 128000 }
// ```
extension AgentConfigurationFile {
    /// The `router:` section (absent keys are `nil`: their defaults apply).
    public struct RouterSection: Sendable, Hashable {
        public var instanceID: String?
        public var strategy: RoutingStrategy?
        /// `model_map:` model (or prefix) → `provider` / `provider/model` entries.
        public var modelMap: [String: [String]] = [:]
        /// `providers:` capabilities per provider.
        public var providers: [String: ProviderCapabilities] = [:]
        public var weights: [String: Double] = [:]
        public var defaultWeight: Double?
        public var assumedCompletionTokens: Int?
        public var maxAttempts: Int?
        public var totalDeadline: Duration?
        public var backoffBase: Duration?
        public var backoffMax: Duration?
        public var contextFallbacks: [String: String] = [:]
        public var staleAfterMissedIntervals: Int?
        public var forgetAfter: Duration?
        public var maxInFlight: Int?
        public var maxMessageBytes: Int?
        public var sessionTimeout: Duration?
        public var drainTimeout: Duration?
        public var latencyProfile: LatencyProfile?
        public var publishTimeout: Duration?
        public var shortWaitLimit: Duration?
        public var journalWindow: Duration?
        /// `metrics_listen`: where `/metrics`, `/health` and `/ready` are served (host:port).
        public var metricsListen: String?

        public init() {}
    }

    enum RouterKeys {
        static let router = [
            "instance_id", "strategy", "model_map", "providers", "weights", "default_weight",
            "assumed_completion_tokens",
            "max_attempts", "total_deadline_ms", "backoff_base_ms", "backoff_max_ms", "context_fallbacks",
            "stale_after_missed_intervals", "forget_after_ms", "max_in_flight", "max_message_bytes",
            "session_timeout_ms", "drain_timeout_ms",
            "latency_profile", "publish_timeout_ms", "short_wait_limit_ms", "journal_window_ms", "metrics_listen",
        ]
        static let provider = ["vision", "tools", "streaming", "max_context_tokens", "models"]
    }

    /// Reads the `router:` section's types; its rules are checked with the whole router
    /// configuration (``RouterSettings/validate()``).
    static func parseRouter(_ node: ConfigNode) throws(AgentConfigurationError) -> RouterSection {
        let fields = try node.fields(RouterKeys.router)
        var section = RouterSection()
        section.instanceID = try fields["instance_id"]?.string()
        section.metricsListen = try fields["metrics_listen"]?.checked { text throws(InvalidSetting) in
            _ = try GatewayCommand.address(text)
            return text
        }
        section.strategy = try fields["strategy"]?.checked { name throws(InvalidSetting) in
            try RoutingStrategy(named: name)
        }
        if let value = fields["model_map"] {
            for entry in try value.entries() {
                section.modelMap[entry.key] = try entry.value.strings()
            }
        }
        if let value = fields["providers"] {
            for entry in try value.entries() {
                let caps = try entry.value.fields(RouterKeys.provider)
                var capabilities = ProviderCapabilities()
                capabilities.vision = try caps["vision"]?.bool() ?? false
                capabilities.tools = try caps["tools"]?.bool() ?? false
                capabilities.streaming = try caps["streaming"]?.bool() ?? false
                capabilities.maxContextTokens = try caps["max_context_tokens"]?.int()
                if let models = caps["models"] {
                    capabilities.models = try models.strings()
                }
                section.providers[entry.key] = capabilities
            }
        }
        if let value = fields["weights"] {
            for entry in try value.entries() { section.weights[entry.key] = try entry.value.number() }
        }
        section.defaultWeight = try fields["default_weight"]?.number()
        section.assumedCompletionTokens = try fields["assumed_completion_tokens"]?.int()
        section.maxAttempts = try fields["max_attempts"]?.int()
        section.totalDeadline = try fields["total_deadline_ms"]?.int().routerMilliseconds
        section.backoffBase = try fields["backoff_base_ms"]?.int().routerMilliseconds
        section.backoffMax = try fields["backoff_max_ms"]?.int().routerMilliseconds
        if let value = fields["context_fallbacks"] {
            for entry in try value.entries() { section.contextFallbacks[entry.key] = try entry.value.string() }
        }
        section.staleAfterMissedIntervals = try fields["stale_after_missed_intervals"]?.int()
        section.forgetAfter = try fields["forget_after_ms"]?.int().routerMilliseconds
        section.maxInFlight = try fields["max_in_flight"]?.int()
        section.maxMessageBytes = try fields["max_message_bytes"]?.int()
        section.sessionTimeout = try fields["session_timeout_ms"]?.int().routerMilliseconds
        section.drainTimeout = try fields["drain_timeout_ms"]?.int().routerMilliseconds
        section.latencyProfile = try fields["latency_profile"]?.checked { name throws(InvalidSetting) in
            try LatencyProfile(named: name)
        }
        section.publishTimeout = try fields["publish_timeout_ms"]?.int().routerMilliseconds
        section.shortWaitLimit = try fields["short_wait_limit_ms"]?.int().routerMilliseconds
        section.journalWindow = try fields["journal_window_ms"]?.int().routerMilliseconds
        return section
    }
}

extension Int {
    fileprivate var routerMilliseconds: Duration { .milliseconds(self) }
}
