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

        public init() {}
    }

    enum RouterKeys {
        static let router = [
            "instance_id", "strategy", "model_map", "providers", "weights", "default_weight", "assumed_completion_tokens",
            "max_attempts", "total_deadline_ms", "backoff_base_ms", "backoff_max_ms", "context_fallbacks",
            "stale_after_missed_intervals", "forget_after_ms", "max_in_flight", "max_message_bytes", "session_timeout_ms", "drain_timeout_ms",
        ]
        static let provider = ["vision", "tools", "streaming", "max_context_tokens", "models"]
    }

    static func parseRouter(_ node: ConfigNode) throws(AgentConfigurationError) -> RouterSection {
        let fields = try node.fields(RouterKeys.router)
        var section = RouterSection()
        if let value = fields["instance_id"] {
            let id = try value.nonEmptyString()
            if let problem = AgentSettings.instanceIDProblem(id) { throw value.error(problem) }
            section.instanceID = id
        }
        if let value = fields["strategy"] {
            let name = try value.string()
            guard let strategy = RoutingStrategy(rawValue: name) else {
                throw value.error("unknown strategy '\(name)' (available: \(RoutingStrategy.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            section.strategy = strategy
        }
        if let value = fields["model_map"] {
            for entry in try value.entries() {
                guard !entry.key.isEmpty else { throw entry.value.error("a model name must not be empty") }
                var targets: [String] = []
                for item in try entry.value.list() {
                    let target = try item.nonEmptyString()
                    let provider = target.split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
                    guard AgentSettings.isValidProviderName(provider) else {
                        throw item.error("'\(target)' must be a provider name or provider/model (provider: [a-z0-9_-]+)")
                    }
                    guard !targets.contains(target) else { throw item.error("'\(target)' is listed twice") }
                    targets.append(target)
                }
                guard !targets.isEmpty else { throw entry.value.error("must list at least one provider") }
                section.modelMap[entry.key] = targets
            }
        }
        if let value = fields["providers"] {
            for entry in try value.entries() {
                guard AgentSettings.isValidProviderName(entry.key) else {
                    throw entry.value.error("provider name must be lowercase letters, digits, '-' or '_' ([a-z0-9_-]+)")
                }
                let caps = try entry.value.fields(RouterKeys.provider)
                var capabilities = ProviderCapabilities()
                capabilities.vision = try caps["vision"]?.bool() ?? false
                capabilities.tools = try caps["tools"]?.bool() ?? false
                capabilities.streaming = try caps["streaming"]?.bool() ?? false
                capabilities.maxContextTokens = try caps["max_context_tokens"]?.int(atLeast: 1)
                if let models = caps["models"] {
                    capabilities.models = try models.list().map { item throws(AgentConfigurationError) in try item.nonEmptyString() }
                }
                section.providers[entry.key] = capabilities
            }
        }
        if let value = fields["weights"] {
            for entry in try value.entries() {
                let weight = try entry.value.number()
                guard weight >= 0, weight.isFinite else { throw entry.value.error("must be >= 0, got \(weight)") }
                section.weights[entry.key] = weight
            }
        }
        if let value = fields["default_weight"] {
            let weight = try value.number()
            guard weight >= 0, weight.isFinite else { throw value.error("must be >= 0, got \(weight)") }
            section.defaultWeight = weight
        }
        section.assumedCompletionTokens = try fields["assumed_completion_tokens"]?.int(atLeast: 1)
        section.maxAttempts = try fields["max_attempts"]?.int(atLeast: 1, atMost: 100)
        section.totalDeadline = try fields["total_deadline_ms"]?.int(atLeast: 1).routerMilliseconds
        section.backoffBase = try fields["backoff_base_ms"]?.int(atLeast: 0).routerMilliseconds
        section.backoffMax = try fields["backoff_max_ms"]?.int(atLeast: 0).routerMilliseconds
        if let base = section.backoffBase, let max = section.backoffMax, base > max, let value = fields["backoff_max_ms"] {
            throw value.error("must be >= backoff_base_ms (\(base.components.seconds * 1000 + base.components.attoseconds / 1_000_000_000_000_000) ms)")
        }
        if let value = fields["context_fallbacks"] {
            for entry in try value.entries() {
                guard !entry.key.isEmpty else { throw entry.value.error("a model name must not be empty") }
                let larger = try entry.value.nonEmptyString()
                guard larger != entry.key else { throw entry.value.error("must name another model than '\(entry.key)'") }
                section.contextFallbacks[entry.key] = larger
            }
        }
        section.staleAfterMissedIntervals = try fields["stale_after_missed_intervals"]?.int(atLeast: 1, atMost: 1_000)
        section.forgetAfter = try fields["forget_after_ms"]?.int(atLeast: 1).routerMilliseconds
        section.maxInFlight = try fields["max_in_flight"]?.int(atLeast: 1)
        section.maxMessageBytes = try fields["max_message_bytes"]?.int(atLeast: 1)
        section.sessionTimeout = try fields["session_timeout_ms"]?.int(atLeast: 1, atMost: 3_600_000).routerMilliseconds
        section.drainTimeout = try fields["drain_timeout_ms"]?.int(atLeast: 0).routerMilliseconds
        return section
    }
}

extension Int {
    fileprivate var routerMilliseconds: Duration { .milliseconds(self) }
}
