public import AgentCore
import Foundation

/// The YAML configuration file of agents and routers: Kafka connection settings shared
/// by every process, and one entry per provider under `agents`.
///
/// ```yaml
/// kafka:
///   bootstrap: 127.0.0.1:9092
///   topic_prefix: ""
///   properties: { security.protocol: plaintext }      # passed to librdkafka as they are
/// agents:
///   openai:
///     backend: test
///     models: [gpt-4o, gpt-4o-mini]
///     rate_limit: { strategy: sliding_window, requests_per_window: 600, window_ms: 60000 }
/// ```
///
/// Reading is strict: an unknown key, a value of the wrong YAML type or out of range is an error
/// naming the file, line and key path (``AgentConfigurationError``). A key with an empty value
/// (`~`) means its default. Top-level keys starting with `x-` are ignored, so they can hold YAML
/// anchors shared by several agents (`<<: *defaults`). Every key, its default and its range are
/// documented in docs/agent-core.md ("Configuration file").
///
/// This type holds what the file says (absent keys stay `nil`); ``AgentSettings`` applies the
/// command line on top and fills the defaults.
public struct AgentConfigurationFile: Sendable, Hashable {
    /// `kafka:` — how every process reaches the cluster.
    public struct KafkaSection: Sendable, Hashable {
        public var bootstrap: String?
        public var topicPrefix: String?
        /// librdkafka properties (TLS, SASL, tuning), values as written; `${NAME}` values are
        /// replaced by the environment variable NAME when the file is read.
        public var properties: [String: String]

        public init(bootstrap: String? = nil, topicPrefix: String? = nil, properties: [String: String] = [:]) {
            self.bootstrap = bootstrap
            self.topicPrefix = topicPrefix
            self.properties = properties
        }
    }

    /// The `model_limits:` setting.
    public enum ModelLimits: Sendable, Hashable {
        /// No per-model limits at all.
        case none
        /// These limits over the backend's defaults.
        case overrides(ModelRateTiers)
    }

    /// One entry of `agents:` (absent keys are `nil`: their defaults apply).
    public struct AgentSection: Sendable, Hashable {
        public var instanceID: String?
        public var backend: AgentBackend?
        public var models: [String]?
        public var defaultModel: String?
        public var maxInFlight: Int?
        public var maxConcurrentCalls: Int?
        public var maxMessageBytes: Int?
        public var sessionTimeout: Duration?
        public var statusInterval: Duration?
        public var drainTimeout: Duration?
        /// The ledger (default on; off only where a repeated call costs nothing).
        public var ledger: Bool?
        /// The whole policy, keys the file leaves out at their defaults.
        public var rateLimit: RateLimitPolicy?
        public var circuitBreaker: CircuitBreakerPolicy?
        public var prices: PriceTable?
        /// `model_limits:` — `none` (no per-model limits, not even the backend's defaults) or
        /// per model / family prefix `{requests_per_minute, tokens_per_minute}` laid over the
        /// backend's defaults.
        public var modelLimits: ModelLimits?
        public var test: TestBackendSettings
        /// `http:` — the HTTP backends' upstream (base URL, API key variable, timeout).
        public var http = HTTPBackendSettings()
        /// `resources:` — machine load sampling and thresholds (the whole policy, absent keys at
        /// their defaults).
        public var resources: ResourcePolicy?

        public init(
            instanceID: String? = nil, backend: AgentBackend? = nil, models: [String]? = nil, defaultModel: String? = nil,
            maxInFlight: Int? = nil, maxConcurrentCalls: Int? = nil, maxMessageBytes: Int? = nil,
            sessionTimeout: Duration? = nil, statusInterval: Duration? = nil, drainTimeout: Duration? = nil,
            rateLimit: RateLimitPolicy? = nil, circuitBreaker: CircuitBreakerPolicy? = nil, prices: PriceTable? = nil,
            test: TestBackendSettings = TestBackendSettings()
        ) {
            self.instanceID = instanceID
            self.backend = backend
            self.models = models
            self.defaultModel = defaultModel
            self.maxInFlight = maxInFlight
            self.maxConcurrentCalls = maxConcurrentCalls
            self.maxMessageBytes = maxMessageBytes
            self.sessionTimeout = sessionTimeout
            self.statusInterval = statusInterval
            self.drainTimeout = drainTimeout
            self.rateLimit = rateLimit
            self.circuitBreaker = circuitBreaker
            self.prices = prices
            self.test = test
        }
    }

    /// Where the file was read from (names it in errors).
    public var path: String
    public var kafka: KafkaSection
    /// Keyed by provider name (`[a-z0-9_-]+`).
    public var agents: [String: AgentSection]
    /// `router:` — the routers' settings (absent: every default).
    public var router: RouterSection?
    /// Whether the file has an `agents:` key at all. A file that defines agents must define the
    /// one being started (a typo guard); a file without `agents:` only shares Kafka settings.
    public var definesAgents: Bool

    public init(path: String, kafka: KafkaSection = KafkaSection(), agents: [String: AgentSection] = [:], definesAgents: Bool? = nil) {
        self.path = path
        self.kafka = kafka
        self.agents = agents
        self.definesAgents = definesAgents ?? !agents.isEmpty
    }

    // MARK: Reading

    /// Reads and checks the file at `path`. A missing or unreadable file is an error naming it.
    /// `environment` (default: the process's) resolves `${NAME}` property values.
    public static func load(
        path: String, environment: [String: String]? = nil
    ) throws(AgentConfigurationError) -> AgentConfigurationFile {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw AgentConfigurationError(file: path, key: "", message: "configuration file not found (--config)")
        }
        guard !isDirectory.boolValue else {
            throw AgentConfigurationError(file: path, key: "", message: "is a directory, not a configuration file (--config)")
        }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw AgentConfigurationError(file: path, key: "", message: "cannot read the file as UTF-8 text: \(error.localizedDescription)")
        }
        return try parse(text, file: path, environment: environment)
    }

    /// Parses and checks the text of a configuration file; `file` names it in errors.
    public static func parse(
        _ text: String, file: String, environment: [String: String]? = nil
    ) throws(AgentConfigurationError) -> AgentConfigurationFile {
        let root = try ConfigNode.document(text, file: file)
        var result = AgentConfigurationFile(path: file)
        for entry in try root.entries() {
            if entry.key.hasPrefix("x-") { continue }
            guard Keys.top.contains(entry.key) else {
                throw AgentConfigurationError(
                    file: file, line: entry.keyLine, key: entry.key,
                    message: "unknown key (allowed here: \(Keys.top.joined(separator: ", ")), or x-* for anchors)"
                )
            }
            if entry.value.isNull { continue }
            switch entry.key {
            case "kafka":
                result.kafka = try parseKafka(entry.value, environment: environment ?? ProcessInfo.processInfo.environment)
            case "router":
                result.router = try parseRouter(entry.value)
            default:
                result.definesAgents = true
                for agent in try entry.value.entries() {
                    let name = agent.key
                    guard AgentSettings.isValidProviderName(name) else {
                        throw AgentConfigurationError(
                            file: file, line: agent.keyLine, key: agent.value.path,
                            message: "provider name must be lowercase letters, digits, '-' or '_' ([a-z0-9_-]+)"
                        )
                    }
                    result.agents[name] = agent.value.isNull ? AgentSection() : try parseAgent(agent.value)
                }
            }
        }
        return result
    }

    enum Keys {
        static let top = ["kafka", "agents", "router"]
        static let kafka = ["bootstrap", "topic_prefix", "properties"]
        static let agent = [
            "instance_id", "backend", "models", "default_model", "max_in_flight", "max_concurrent_calls", "max_message_bytes",
            "session_timeout_ms", "status_interval_ms", "drain_timeout_ms", "ledger", "rate_limit", "circuit_breaker", "prices", "model_limits", "test", "http",
            "resources",
        ]
        static let http = [
            "base_url", "api_key_env", "request_timeout_ms", "connect_timeout_ms", "read_timeout_ms", "max_connections", "idle_timeout_ms",
            "ca_file", "verify_certificates",
        ]
        static let resources = [
            "refresh_ms", "max_cpu_percent", "soft_cpu_percent", "max_memory_percent", "soft_memory_percent",
            "max_gpu_memory_percent", "soft_gpu_memory_percent",
        ]
        static let rateLimit = ["strategy", "requests_per_window", "tokens_per_window", "window_ms"]
        static let circuitBreaker = [
            "consecutive_failures", "failure_rate_threshold", "minimum_requests", "rate_window_size", "open_timeout_ms",
            "half_open_max_probes", "half_open_successes_to_close", "counted_failures",
        ]
        static let price = ["input_per_million", "output_per_million"]
        static let modelLimit = ["requests_per_minute", "tokens_per_minute"]
        static let test = ["latency", "server_error_rate", "timeout_rate", "rate_limited_rate", "seed"]
    }

    private static func parseKafka(_ node: ConfigNode, environment: [String: String]) throws(AgentConfigurationError) -> KafkaSection {
        let fields = try node.fields(Keys.kafka)
        var section = KafkaSection()
        if let value = fields["bootstrap"] {
            section.bootstrap = try value.nonEmptyString()
        }
        if let value = fields["topic_prefix"] {
            let prefix = try value.string()
            if let problem = AgentSettings.topicPrefixProblem(prefix) { throw value.error(problem) }
            section.topicPrefix = prefix
        }
        if let value = fields["properties"] {
            for property in try value.entries() {
                guard !property.key.isEmpty else { throw property.value.error("a property name must not be empty") }
                var text = try property.value.scalarText()
                if text.hasPrefix("${"), text.hasSuffix("}"), text.count > 3 {
                    let name = String(text.dropFirst(2).dropLast())
                    guard let resolved = environment[name] else {
                        throw property.value.error("environment variable \(name) is not set")
                    }
                    text = resolved
                }
                section.properties[property.key] = text
            }
        }
        return section
    }

    private static func parseAgent(_ node: ConfigNode) throws(AgentConfigurationError) -> AgentSection {
        let fields = try node.fields(Keys.agent)
        var agent = AgentSection()
        if let value = fields["instance_id"] {
            let id = try value.nonEmptyString()
            if let problem = AgentSettings.instanceIDProblem(id) { throw value.error(problem) }
            agent.instanceID = id
        }
        if let value = fields["backend"] {
            let name = try value.string()
            guard let backend = AgentBackend(rawValue: name) else {
                throw value.error("unknown backend '\(name)' (available: \(AgentBackend.allowedValues))")
            }
            agent.backend = backend
        }
        if let value = fields["models"] {
            var models: [String] = []
            for item in try value.list() {
                let model = try item.nonEmptyString()
                guard !models.contains(model) else { throw item.error("model '\(model)' is listed twice") }
                models.append(model)
            }
            guard !models.isEmpty else { throw value.error("must list at least one model") }
            agent.models = models
        }
        if let value = fields["default_model"] {
            let model = try value.nonEmptyString()
            if let models = agent.models, !models.contains(model) {
                throw value.error("'\(model)' is not one of models (\(models.joined(separator: ", ")))")
            }
            agent.defaultModel = model
        }
        agent.maxInFlight = try fields["max_in_flight"]?.int(atLeast: 1)
        agent.maxConcurrentCalls = try fields["max_concurrent_calls"]?.int(atLeast: 1)
        agent.maxMessageBytes = try fields["max_message_bytes"]?.int(atLeast: 1)
        agent.sessionTimeout = try fields["session_timeout_ms"]?.int(atLeast: 1, atMost: 3_600_000).milliseconds
        agent.statusInterval = try fields["status_interval_ms"]?.int(atLeast: 1).milliseconds
        agent.drainTimeout = try fields["drain_timeout_ms"]?.int(atLeast: 0).milliseconds
        agent.ledger = try fields["ledger"]?.bool()
        if let value = fields["rate_limit"] { agent.rateLimit = try parseRateLimit(value) }
        if let value = fields["circuit_breaker"] { agent.circuitBreaker = try parseCircuitBreaker(value) }
        if let value = fields["prices"] { agent.prices = try parsePrices(value) }
        if let value = fields["model_limits"] { agent.modelLimits = try parseModelLimits(value) }
        if let value = fields["test"] { agent.test = try parseTest(value) }
        if let value = fields["resources"] { agent.resources = try parseResources(value) }
        if let value = fields["http"] {
            let http = try value.fields(Keys.http)
            if let url = http["base_url"] {
                let text = try url.nonEmptyString()
                if let problem = HTTPBackendSettings.baseURLProblem(text) { throw url.error(problem) }
                agent.http.baseURL = text
            }
            agent.http.apiKeyEnvironmentVariable = try http["api_key_env"]?.nonEmptyString()
            agent.http.requestTimeout = try http["request_timeout_ms"]?.int(atLeast: 1).milliseconds
            if let value = try http["connect_timeout_ms"]?.int(atLeast: 1) { agent.http.client.connectTimeout = .milliseconds(value) }
            agent.http.client.readTimeout = try http["read_timeout_ms"]?.int(atLeast: 1).milliseconds
            if let value = try http["max_connections"]?.int(atLeast: 1, atMost: 65_535) { agent.http.client.maxConnectionsPerHost = value }
            if let value = try http["idle_timeout_ms"]?.int(atLeast: 1) { agent.http.client.idleTimeout = .milliseconds(value) }
            if let value = http["ca_file"] {
                let path = try value.nonEmptyString()
                guard FileManager.default.isReadableFile(atPath: path) else { throw value.error("'\(path)' is not a readable file") }
                agent.http.client.caFile = path
            }
            if let value = try http["verify_certificates"]?.bool() { agent.http.client.verifyCertificates = value }
        }
        return agent
    }

    private static func parseRateLimit(_ node: ConfigNode) throws(AgentConfigurationError) -> RateLimitPolicy {
        let fields = try node.fields(Keys.rateLimit)
        var policy = RateLimitPolicy()
        if let value = fields["strategy"] {
            let name = try value.string()
            guard let strategy = RateLimitPolicy.Strategy(rawValue: name) else {
                let known = RateLimitPolicy.Strategy.allCases.map(\.rawValue).joined(separator: ", ")
                throw value.error("unknown strategy '\(name)' (available: \(known))")
            }
            policy.strategy = strategy
        }
        policy.requestsPerWindow = try fields["requests_per_window"]?.int(atLeast: 1)
        policy.tokensPerWindow = try fields["tokens_per_window"]?.int(atLeast: 1)
        if let window = try fields["window_ms"]?.int(atLeast: 1) { policy.window = .milliseconds(window) }
        return policy
    }

    private static func parseCircuitBreaker(_ node: ConfigNode) throws(AgentConfigurationError) -> CircuitBreakerPolicy {
        let fields = try node.fields(Keys.circuitBreaker)
        var policy = CircuitBreakerPolicy()
        if let value = try fields["consecutive_failures"]?.int(atLeast: 1) { policy.consecutiveFailures = value }
        if let value = fields["failure_rate_threshold"] {
            let threshold = try value.number()
            guard threshold > 0, threshold <= 1 else { throw value.error("must be > 0 and <= 1, got \(threshold)") }
            policy.failureRateThreshold = threshold
        }
        if let value = try fields["minimum_requests"]?.int(atLeast: 1) { policy.minimumRequests = value }
        if let value = try fields["rate_window_size"]?.int(atLeast: 1) { policy.rateWindowSize = value }
        if policy.failureRateThreshold != nil, policy.minimumRequests > policy.rateWindowSize {
            // The rate rule looks at the last rate_window_size outcomes only: it could never fire.
            let culprit = fields["minimum_requests"] ?? fields["rate_window_size"] ?? fields["failure_rate_threshold"] ?? node
            throw AgentConfigurationError(
                file: culprit.file, line: culprit.node.mark?.line, key: node.path.isEmpty ? "minimum_requests" : node.path + ".minimum_requests",
                message: "must be <= rate_window_size (\(policy.rateWindowSize)), got \(policy.minimumRequests): the failure rate rule could never open the circuit"
            )
        }
        if let value = try fields["open_timeout_ms"]?.int(atLeast: 1) { policy.openTimeout = .milliseconds(value) }
        if let value = try fields["half_open_max_probes"]?.int(atLeast: 1) { policy.halfOpenMaxProbes = value }
        if let value = try fields["half_open_successes_to_close"]?.int(atLeast: 1) { policy.halfOpenSuccessesToClose = value }
        if let value = fields["counted_failures"] {
            var kinds = Set<CircuitBreakerPolicy.FailureKind>()
            for item in try value.list() {
                let name = try item.string()
                guard let kind = CircuitBreakerPolicy.FailureKind(rawValue: name) else {
                    let known = CircuitBreakerPolicy.FailureKind.allCases.map(\.rawValue).joined(separator: ", ")
                    throw item.error("unknown failure kind '\(name)' (available: \(known))")
                }
                kinds.insert(kind)
            }
            policy.countedFailures = kinds
        }
        return policy
    }

    private static func parseModelLimits(_ node: ConfigNode) throws(AgentConfigurationError) -> ModelLimits {
        if case .scalar = node.node {
            let text = try node.string()
            guard text == "none" else {
                throw node.error("must be 'none' or a mapping of model (or family prefix) to {requests_per_minute, tokens_per_minute}, got '\(text)'")
            }
            return .none
        }
        var tiers = ModelRateTiers()
        for entry in try node.entries() {
            guard !entry.key.isEmpty else { throw entry.value.error("a model name must not be empty") }
            let fields = try entry.value.fields(Keys.modelLimit)
            let requests = try fields["requests_per_minute"]?.int(atLeast: 1)
            let tokens = try fields["tokens_per_minute"]?.int(atLeast: 1)
            guard requests != nil || tokens != nil else {
                throw entry.value.error("needs requests_per_minute or tokens_per_minute (or both)")
            }
            tiers.limits[entry.key] = RateLimitPolicy(strategy: .slidingWindow, requestsPerWindow: requests, tokensPerWindow: tokens, window: .seconds(60))
        }
        return .overrides(tiers)
    }

    private static func parsePrices(_ node: ConfigNode) throws(AgentConfigurationError) -> PriceTable {
        var table = PriceTable()
        for entry in try node.entries() {
            guard !entry.key.isEmpty else { throw entry.value.error("a model name must not be empty") }
            let fields = try entry.value.fields(Keys.price)
            func price(_ key: String) throws(AgentConfigurationError) -> Double {
                guard let value = fields[key] else {
                    throw AgentConfigurationError(
                        file: entry.value.file, line: entry.keyLine, key: entry.value.path + "." + key, message: "missing (USD per million tokens)"
                    )
                }
                let number = try value.number()
                guard number >= 0 else { throw value.error("must be >= 0, got \(number)") }
                return number
            }
            table.prices[entry.key] = PriceTable.Price(inputPerMillion: try price("input_per_million"), outputPerMillion: try price("output_per_million"))
        }
        return table
    }

    /// `resources:`: every percentage in (0, 100]; a `soft_*` needs its `max_*` and must be below it.
    private static func parseResources(_ node: ConfigNode) throws(AgentConfigurationError) -> ResourcePolicy {
        let fields = try node.fields(Keys.resources)
        var policy = ResourcePolicy()
        if let value = try fields["refresh_ms"]?.int(atLeast: 10, atMost: 3_600_000) { policy.refreshInterval = .milliseconds(value) }
        func percent(_ key: String) throws(AgentConfigurationError) -> Double? {
            guard let value = fields[key] else { return nil }
            let number = try value.number()
            guard number > 0, number <= 100 else { throw value.error("must be > 0 and <= 100 (percent), got \(number)") }
            return number
        }
        func pair(_ name: String) throws(AgentConfigurationError) -> (soft: Double?, max: Double?) {
            let hard = try percent("max_\(name)_percent")
            let soft = try percent("soft_\(name)_percent")
            if let soft, let value = fields["soft_\(name)_percent"] {
                guard let hard else { throw value.error("needs max_\(name)_percent (the load at which concurrency reaches 1 and requests are refused)") }
                guard soft < hard else { throw value.error("must be below max_\(name)_percent (\(hard)), got \(soft)") }
            }
            return (soft, hard)
        }
        (policy.softCPUPercent, policy.maxCPUPercent) = try pair("cpu")
        (policy.softMemoryPercent, policy.maxMemoryPercent) = try pair("memory")
        (policy.softGPUMemoryPercent, policy.maxGPUMemoryPercent) = try pair("gpu_memory")
        return policy
    }

    private static func parseTest(_ node: ConfigNode) throws(AgentConfigurationError) -> TestBackendSettings {
        let fields = try node.fields(Keys.test)
        var settings = TestBackendSettings()
        if let value = fields["latency"] {
            let spec = try value.string()
            do throws(TestBackendSettings.LatencySpecError) {
                settings.latency = try TestBackendSettings.parseLatency(spec)
            } catch {
                throw value.error(error.message)
            }
        }
        func rate(_ key: String) throws(AgentConfigurationError) -> Double? {
            guard let value = fields[key] else { return nil }
            let number = try value.number()
            guard (0...1).contains(number) else { throw value.error("must be between 0 and 1, got \(number)") }
            return number
        }
        settings.serverErrorRate = try rate("server_error_rate")
        settings.timeoutRate = try rate("timeout_rate")
        settings.rateLimitedRate = try rate("rate_limited_rate")
        if settings.failureRateSum > 1 {
            throw node.error("server_error_rate + timeout_rate + rate_limited_rate must be <= 1, got \(settings.failureRateSum)")
        }
        if let value = fields["seed"] { settings.seed = UInt64(try value.int(atLeast: 0)) }
        return settings
    }
}

extension Int {
    fileprivate var milliseconds: Duration { .milliseconds(self) }
}
