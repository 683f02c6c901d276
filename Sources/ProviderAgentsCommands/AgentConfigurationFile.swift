public import AgentCore
public import Common
import Foundation
public import Kafka
import Topics

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
        /// `latency_profile`, `publish_timeout_ms`, `ledger_window_ms`, `ledger_max_entries`.
        public var latencyProfile: LatencyProfile?
        public var publishTimeout: Duration?
        public var ledgerWindow: Duration?
        public var ledgerMaxEntries: Int?
        /// `metrics_listen`: where `/metrics`, `/health` and `/ready` are served (host:port).
        public var metricsListen: String?

        public init(
            instanceID: String? = nil, backend: AgentBackend? = nil, models: [String]? = nil,
            defaultModel: String? = nil,
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
    /// `gateway:` — the HTTP gateway's settings (absent: every default).
    public var gateway: GatewaySection?
    /// Whether the file has an `agents:` key at all. A file that defines agents must define the
    /// one being started (a typo guard); a file without `agents:` only shares Kafka settings.
    public var definesAgents: Bool

    public init(
        path: String, kafka: KafkaSection = KafkaSection(), agents: [String: AgentSection] = [:],
        definesAgents: Bool? = nil
    ) {
        self.path = path
        self.kafka = kafka
        self.agents = agents
        self.definesAgents = definesAgents ?? !agents.isEmpty
    }

    // MARK: Reading

    /// Reads and checks the file at `path`. A missing or unreadable file is an error naming it.
    /// `environment` (default: the process's) resolves `${NAME}` property values; `overlay`
    /// (`--set` options) is laid over the file before it is read.
    public static func load(
        path: String, environment: [String: String]? = nil, overlay: ConfigOverlay? = nil
    ) throws(AgentConfigurationError) -> AgentConfigurationFile {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw AgentConfigurationError(file: path, key: "", message: "configuration file not found (--config)")
        }
        guard !isDirectory.boolValue else {
            throw AgentConfigurationError(
                file: path, key: "", message: "is a directory, not a configuration file (--config)")
        }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw AgentConfigurationError(
                file: path, key: "", message: "cannot read the file as UTF-8 text: \(error.localizedDescription)")
        }
        return try parse(text, file: path, environment: environment, overlay: overlay)
    }

    /// Parses and checks the text of a configuration file; `file` names it in errors (`""`: no
    /// file, only `overlay`).
    ///
    /// Types are checked while reading; then every entry (each agent with its defaults, the
    /// router, the Kafka settings) is checked by the rules of the policies it sets, and a broken
    /// rule is reported at the key that set the value (or the option of `overlay`).
    public static func parse(
        _ text: String, file: String, environment: [String: String]? = nil, overlay: ConfigOverlay? = nil
    ) throws(AgentConfigurationError) -> AgentConfigurationFile {
        let root = try ConfigNode.document(text, file: file, overlay: overlay)
        var result = AgentConfigurationFile(path: file)
        var agentNodes: [(name: String, node: ConfigNode)] = []
        var routerNode: ConfigNode?
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
                result.kafka = try parseKafka(
                    entry.value, environment: environment ?? ProcessInfo.processInfo.environment)
            case "router":
                result.router = try parseRouter(entry.value)
                routerNode = entry.value
            case "gateway":
                result.gateway = try parseGateway(entry.value)
            default:
                result.definesAgents = true
                for agent in try entry.value.entries() {
                    let name = agent.key
                    do throws(InvalidSetting) {
                        try SettingRule.providerName(name, at: [])
                    } catch {
                        throw agent.value.source.error(at: agent.value.path, line: agent.keyLine, error.message)
                    }
                    result.agents[name] = agent.value.isNull ? AgentSection() : try parseAgent(agent.value)
                    agentNodes.append((name, agent.value))
                }
            }
        }
        // The rules, on what the file (and the options over it) set, defaults filled in.
        do throws(InvalidSetting) {
            try result.kafka.validate()
        } catch {
            throw root.error(for: error)
        }
        for (name, node) in agentNodes {
            do throws(InvalidSetting) {
                let settings = AgentSettings.build(
                    provider: name, file: result, overrides: .init(), environment: [:], instanceID: "-"
                )
                try settings.validate()
            } catch {
                throw error.keys.first == "kafka" ? root.error(for: error) : node.error(for: error)
            }
        }
        if let routerNode {
            do throws(InvalidSetting) {
                try RouterSettings.build(file: result, overrides: .init(), environment: [:], instanceID: "-").validate()
            } catch {
                throw error.keys.first == "kafka" ? root.error(for: error) : routerNode.error(for: error)
            }
        }
        return result
    }

    enum Keys {
        static let top = ["kafka", "agents", "router", "gateway"]
        static let kafka = ["bootstrap", "topic_prefix", "properties"]
        static let agent = [
            "instance_id", "backend", "models", "default_model", "max_in_flight", "max_concurrent_calls",
            "max_message_bytes",
            "session_timeout_ms", "status_interval_ms", "drain_timeout_ms", "ledger", "ledger_window_ms",
            "ledger_max_entries",
            "latency_profile", "publish_timeout_ms", "rate_limit", "circuit_breaker", "prices", "model_limits", "test",
            "http",
            "resources", "metrics_listen",
        ]
        static let http = [
            "base_url", "api_key_env", "request_timeout_ms", "connect_timeout_ms", "read_timeout_ms", "max_connections",
            "idle_timeout_ms",
            "ca_file", "verify_certificates",
        ]
        static let resources = [
            "refresh_ms", "max_cpu_percent", "soft_cpu_percent", "max_memory_percent", "soft_memory_percent",
            "max_gpu_memory_percent", "soft_gpu_memory_percent",
        ]
        static let rateLimit = ["strategy", "requests_per_window", "tokens_per_window", "window_ms", "batch_reserve"]
        static let circuitBreaker = [
            "consecutive_failures", "failure_rate_threshold", "minimum_requests", "rate_window_size", "open_timeout_ms",
            "half_open_max_probes", "half_open_successes_to_close", "counted_failures",
        ]
        static let price = ["input_per_million", "output_per_million"]
        static let modelLimit = ["requests_per_minute", "tokens_per_minute"]
        static let test = ["latency", "server_error_rate", "timeout_rate", "rate_limited_rate", "seed"]
    }

    private static func parseKafka(_ node: ConfigNode, environment: [String: String]) throws(AgentConfigurationError)
        -> KafkaSection
    {
        let fields = try node.fields(Keys.kafka)
        var section = KafkaSection()
        section.bootstrap = try fields["bootstrap"]?.string()
        section.topicPrefix = try fields["topic_prefix"]?.string()
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
        agent.instanceID = try fields["instance_id"]?.string()
        agent.backend = try fields["backend"]?.checked { text throws(InvalidSetting) in try AgentBackend(named: text) }
        agent.models = try fields["models"]?.strings()
        agent.defaultModel = try fields["default_model"]?.string()
        agent.maxInFlight = try fields["max_in_flight"]?.int()
        agent.maxConcurrentCalls = try fields["max_concurrent_calls"]?.int()
        agent.maxMessageBytes = try fields["max_message_bytes"]?.int()
        agent.sessionTimeout = try fields["session_timeout_ms"]?.int().milliseconds
        agent.statusInterval = try fields["status_interval_ms"]?.int().milliseconds
        agent.drainTimeout = try fields["drain_timeout_ms"]?.int().milliseconds
        agent.ledger = try fields["ledger"]?.bool()
        agent.ledgerWindow = try fields["ledger_window_ms"]?.int().milliseconds
        agent.ledgerMaxEntries = try fields["ledger_max_entries"]?.int()
        agent.metricsListen = try fields["metrics_listen"]?.checked { text throws(InvalidSetting) in
            _ = try GatewayCommand.address(text)
            return text
        }
        agent.latencyProfile = try fields["latency_profile"]?.checked { name throws(InvalidSetting) in
            try LatencyProfile(named: name)
        }
        agent.publishTimeout = try fields["publish_timeout_ms"]?.int().milliseconds
        if let value = fields["rate_limit"] { agent.rateLimit = try parseRateLimit(value) }
        if let value = fields["circuit_breaker"] { agent.circuitBreaker = try parseCircuitBreaker(value) }
        if let value = fields["prices"] { agent.prices = try parsePrices(value) }
        if let value = fields["model_limits"] { agent.modelLimits = try parseModelLimits(value) }
        if let value = fields["test"] { agent.test = try parseTest(value) }
        if let value = fields["resources"] { agent.resources = try parseResources(value) }
        if let value = fields["http"] {
            let http = try value.fields(Keys.http)
            agent.http.baseURL = try http["base_url"]?.string()
            agent.http.apiKeyEnvironmentVariable = try http["api_key_env"]?.string()
            agent.http.requestTimeout = try http["request_timeout_ms"]?.int().milliseconds
            if let value = try http["connect_timeout_ms"]?.int() {
                agent.http.client.connectTimeout = .milliseconds(value)
            }
            agent.http.client.readTimeout = try http["read_timeout_ms"]?.int().milliseconds
            if let value = try http["max_connections"]?.int() { agent.http.client.maxConnectionsPerHost = value }
            if let value = try http["idle_timeout_ms"]?.int() { agent.http.client.idleTimeout = .milliseconds(value) }
            agent.http.client.caFile = try http["ca_file"]?.string()
            if let value = try http["verify_certificates"]?.bool() { agent.http.client.verifyCertificates = value }
        }
        return agent
    }

    private static func parseRateLimit(_ node: ConfigNode) throws(AgentConfigurationError) -> RateLimitPolicy {
        let fields = try node.fields(Keys.rateLimit)
        var policy = RateLimitPolicy()
        if let value = fields["strategy"] {
            policy.strategy = try value.checked { name throws(InvalidSetting) in
                try RateLimitPolicy.Strategy(named: name)
            }
        }
        policy.requestsPerWindow = try fields["requests_per_window"]?.int()
        policy.tokensPerWindow = try fields["tokens_per_window"]?.int()
        if let window = try fields["window_ms"]?.int() { policy.window = .milliseconds(window) }
        if let reserve = try fields["batch_reserve"]?.number() { policy.batchReserve = reserve }
        return policy
    }

    private static func parseCircuitBreaker(_ node: ConfigNode) throws(AgentConfigurationError) -> CircuitBreakerPolicy
    {
        let fields = try node.fields(Keys.circuitBreaker)
        var policy = CircuitBreakerPolicy()
        if let value = try fields["consecutive_failures"]?.int() { policy.consecutiveFailures = value }
        policy.failureRateThreshold = try fields["failure_rate_threshold"]?.number()
        if let value = try fields["minimum_requests"]?.int() { policy.minimumRequests = value }
        if let value = try fields["rate_window_size"]?.int() { policy.rateWindowSize = value }
        if let value = try fields["open_timeout_ms"]?.int() { policy.openTimeout = .milliseconds(value) }
        if let value = try fields["half_open_max_probes"]?.int() { policy.halfOpenMaxProbes = value }
        if let value = try fields["half_open_successes_to_close"]?.int() { policy.halfOpenSuccessesToClose = value }
        if let value = fields["counted_failures"] {
            let names = try value.strings()
            do throws(InvalidSetting) {
                policy.countedFailures = try CircuitBreakerPolicy.FailureKind.named(names)
            } catch {
                // Named from the section: circuit_breaker.counted_failures[i].
                throw node.error(for: InvalidSetting(Array(error.keys.dropFirst()), error.message))
            }
        }
        return policy
    }

    private static func parseModelLimits(_ node: ConfigNode) throws(AgentConfigurationError) -> ModelLimits {
        if case .scalar = node.node {
            let text = try node.string()
            guard text == "none" else {
                throw node.error(
                    "must be 'none' or a mapping of model (or family prefix) to "
                        + "{requests_per_minute, tokens_per_minute}, got '\(text)'"
                )
            }
            return .none
        }
        var tiers = ModelRateTiers()
        for entry in try node.entries() {
            let fields = try entry.value.fields(Keys.modelLimit)
            tiers.limits[entry.key] = RateLimitPolicy(
                strategy: .slidingWindow, requestsPerWindow: try fields["requests_per_minute"]?.int(),
                tokensPerWindow: try fields["tokens_per_minute"]?.int(), window: .seconds(60)
            )
        }
        return .overrides(tiers)
    }

    private static func parsePrices(_ node: ConfigNode) throws(AgentConfigurationError) -> PriceTable {
        var table = PriceTable()
        for entry in try node.entries() {
            let fields = try entry.value.fields(Keys.price)
            func price(_ key: String) throws(AgentConfigurationError) -> Double {
                guard let value = fields[key] else {
                    throw entry.value.source.error(
                        at: entry.value.path + "." + key, line: entry.keyLine, "missing (USD per million tokens)"
                    )
                }
                return try value.number()
            }
            table.prices[entry.key] = PriceTable.Price(
                inputPerMillion: try price("input_per_million"), outputPerMillion: try price("output_per_million")
            )
        }
        return table
    }

    private static func parseResources(_ node: ConfigNode) throws(AgentConfigurationError) -> ResourcePolicy {
        let fields = try node.fields(Keys.resources)
        var policy = ResourcePolicy()
        if let value = try fields["refresh_ms"]?.int() { policy.refreshInterval = .milliseconds(value) }
        policy.maxCPUPercent = try fields["max_cpu_percent"]?.number()
        policy.softCPUPercent = try fields["soft_cpu_percent"]?.number()
        policy.maxMemoryPercent = try fields["max_memory_percent"]?.number()
        policy.softMemoryPercent = try fields["soft_memory_percent"]?.number()
        policy.maxGPUMemoryPercent = try fields["max_gpu_memory_percent"]?.number()
        policy.softGPUMemoryPercent = try fields["soft_gpu_memory_percent"]?.number()
        return policy
    }

    private static func parseTest(_ node: ConfigNode) throws(AgentConfigurationError) -> TestBackendSettings {
        let fields = try node.fields(Keys.test)
        var settings = TestBackendSettings()
        if let value = fields["latency"] {
            settings.latency = try value.checked { spec throws(InvalidSetting) in
                try TestBackendSettings.parseLatency(spec)
            }
        }
        settings.serverErrorRate = try fields["server_error_rate"]?.number()
        settings.timeoutRate = try fields["timeout_rate"]?.number()
        settings.rateLimitedRate = try fields["rate_limited_rate"]?.number()
        if let value = fields["seed"] {
            let seed = try value.int()
            do throws(InvalidSetting) {
                settings.seed = try TestBackendSettings.seed(seed)
            } catch {
                throw value.error(error.message)
            }
        }
        return settings
    }
}

extension AgentConfigurationFile.KafkaSection {
    /// The rules of the `kafka:` section: a bootstrap that is not blank, a prefix Kafka takes.
    func validate() throws(InvalidSetting) {
        if let bootstrap {
            try SettingRule.nonEmpty(bootstrap.trimmingCharacters(in: .whitespaces), at: ["kafka", "bootstrap"])
        }
        if let topicPrefix { try TopicNames.validate(prefix: topicPrefix) }
    }
}

extension Int {
    fileprivate var milliseconds: Duration { .milliseconds(self) }
}
