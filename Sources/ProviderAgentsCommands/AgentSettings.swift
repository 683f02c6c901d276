public import Agent
public import AgentCore
public import AsyncHTTPClient
public import Common
import Foundation
public import Logging

/// Everything one `provider-agents agent` process runs with: the configuration file's entry for
/// the provider, the environment and the command line on top of it, defaults for the rest.
///
/// Precedence, highest first: command-line option → environment (`$KAFKA_BOOTSTRAP`, the API
/// key variables) → configuration file → built-in default. The result is checked once by the
/// policies' rules (``validate()``); a broken rule is reported at the option, the environment
/// variable or the file key that set the value.
public struct AgentSettings: Sendable {
    /// What the command line sets; `nil` / empty: the file or the default decides.
    public struct Overrides: Sendable, Hashable {
        public var bootstrap: String?
        public var topicPrefix: String?
        public var instanceID: String?
        public var backend: AgentBackend?
        /// `-X key=value`, applied over the file's `kafka.properties`.
        public var kafkaProperties: [String: String]
        public var test: TestBackendSettings
        public var http = HTTPBackendSettings()

        public init(
            bootstrap: String? = nil, topicPrefix: String? = nil, instanceID: String? = nil,
            backend: AgentBackend? = nil,
            kafkaProperties: [String: String] = [:], test: TestBackendSettings = TestBackendSettings()
        ) {
            self.bootstrap = bootstrap
            self.topicPrefix = topicPrefix
            self.instanceID = instanceID
            self.backend = backend
            self.kafkaProperties = kafkaProperties
            self.test = test
        }

        /// Which option set which field (as the rules name fields), for errors.
        var origins: SettingOrigins {
            var origins = SettingOrigins()
            origins.add("kafka.bootstrap", "--bootstrap", when: bootstrap != nil)
            origins.add("kafka.topic_prefix", "--topic-prefix", when: topicPrefix != nil)
            origins.add("instance_id", "--instance-id", when: instanceID != nil)
            origins.add("backend", "--backend", when: backend != nil)
            origins.add("test.latency", "--test-latency", when: test.latency != nil)
            origins.add("test.server_error_rate", "--test-server-error-rate", when: test.serverErrorRate != nil)
            origins.add("test.timeout_rate", "--test-timeout-rate", when: test.timeoutRate != nil)
            origins.add("test.rate_limited_rate", "--test-rate-limited-rate", when: test.rateLimitedRate != nil)
            origins.add("test.seed", "--test-seed", when: test.seed != nil)
            origins.add("http.base_url", "--base-url", when: http.baseURL != nil)
            origins.add("http.api_key_env", "--api-key-env", when: http.apiKeyEnvironmentVariable != nil)
            return origins
        }
    }

    public var provider: String { agent.provider }
    public var backend: AgentBackend
    /// The models served, in configuration order (`agent.models` is the same as a set).
    public var models: [String]
    public var agent: ProviderAgentConfiguration
    /// The `test` backend's settings (file and command line merged; unset fields take
    /// ``TestBackendSettings`` defaults).
    public var test: TestBackendSettings
    /// The HTTP backends' settings (file and command line merged).
    public var http: HTTPBackendSettings = HTTPBackendSettings()
    /// The API key read from the environment variable the settings name (never logged).
    var apiKey: String?
    /// The configuration file read, if any.
    public var configFile: String?
    /// Where the monitoring endpoint listens (`metrics_listen`), if anywhere.
    public var metricsListen: String?
    /// Where the Kafka connection settings came from.
    var connection = ConnectionSettings(bootstrap: nil, topicPrefix: nil, properties: [:], file: nil, environment: [:])

    public static let defaultBootstrap = "127.0.0.1:9092"
    /// Models of an agent whose configuration names none (what the `test` backend serves).
    public static let defaultModels = ["test-model"]

    // MARK: Resolving

    /// The settings for `provider` from `file` (optional), the environment and the command
    /// line, checked.
    /// - Parameter defaultInstanceID: used when neither the command line nor the file names one.
    public static func resolve(
        provider: String, file: AgentConfigurationFile?, overrides: Overrides,
        environment: [String: String]? = nil,
        defaultInstanceID: @autoclosure () -> String = AgentSettings.defaultInstanceID()
    ) throws(AgentConfigurationError) -> AgentSettings {
        do throws(InvalidSetting) {
            try SettingRule.providerName(provider, at: ["provider"])
        } catch {
            throw .option("--provider", error.message)
        }
        if let file, file.agents[provider] == nil, file.definesAgents {
            let known = file.agents.keys.sorted().joined(separator: ", ")
            throw AgentConfigurationError(
                file: file.path, key: "agents.\(provider)",
                message: "no entry for provider '\(provider)' (the file defines: \(known.isEmpty ? "none" : known)); "
                    + "add one or check --provider"
            )
        }
        let backend = overrides.backend ?? file?.agents[provider]?.backend ?? .default
        if backend != .test, !overrides.test.isEmpty {
            throw .option("--test-*", "the test backend's options do not apply to --backend \(backend.rawValue)")
        }
        let environment = environment ?? ProcessInfo.processInfo.environment
        let instanceID = overrides.instanceID ?? file?.agents[provider]?.instanceID ?? defaultInstanceID()
        let settings = build(
            provider: provider, file: file, overrides: overrides, environment: environment, instanceID: instanceID
        )
        do throws(InvalidSetting) {
            try settings.validate()
        } catch {
            var origins = overrides.origins
            let fromEnvironment = settings.connection.bootstrapFromEnvironment
            origins.add("kafka.bootstrap", "$" + ConnectionSettings.bootstrapVariable, when: fromEnvironment)
            throw origins.error(for: error, file: file, section: ["agents", provider])
        }
        return settings
    }

    /// The settings by precedence (option → environment → file → default), not checked.
    /// `instanceID` is used when neither the options nor the file name one.
    static func build(
        provider: String, file: AgentConfigurationFile?, overrides: Overrides, environment: [String: String],
        instanceID: String
    ) -> AgentSettings {
        let section = file?.agents[provider] ?? AgentConfigurationFile.AgentSection()
        let backend = overrides.backend ?? section.backend ?? .default
        let connection = ConnectionSettings(
            bootstrap: overrides.bootstrap, topicPrefix: overrides.topicPrefix, properties: overrides.kafkaProperties,
            file: file?.kafka, environment: environment
        )
        let models = section.models ?? defaultModels
        let defaults = ProviderAgentConfiguration(provider: provider, instanceID: "", bootstrapServers: "", models: [])
        var agent = ProviderAgentConfiguration(
            provider: provider,
            instanceID: overrides.instanceID ?? section.instanceID ?? instanceID,
            bootstrapServers: connection.bootstrap,
            topicPrefix: connection.topicPrefix,
            maxInFlight: section.maxInFlight ?? defaults.maxInFlight,
            maxConcurrentCalls: section.maxConcurrentCalls ?? defaults.maxConcurrentCalls,
            rateLimit: section.rateLimit ?? defaults.rateLimit,
            breaker: section.circuitBreaker ?? defaults.breaker,
            models: Set(models),
            defaultModel: section.defaultModel ?? models.first,
            prices: section.prices ?? defaults.prices,
            maxMessageBytes: section.maxMessageBytes ?? defaults.maxMessageBytes,
            kafkaProperties: connection.properties,
            sessionTimeout: section.sessionTimeout ?? defaults.sessionTimeout,
            statusInterval: section.statusInterval ?? defaults.statusInterval,
            drainTimeout: section.drainTimeout ?? defaults.drainTimeout,
            ledger: section.ledger ?? defaults.ledger
        )
        if let resources = section.resources { agent.resources = resources }
        if let value = section.ledgerWindow { agent.ledgerWindow = value }
        if let value = section.ledgerMaxEntries { agent.ledgerMaxEntries = value }
        if let value = section.latencyProfile { agent.latency = value }
        if let value = section.publishTimeout { agent.publishTimeout = value }
        switch section.modelLimits {
        case .none?: agent.modelTiers = .none
        case .overrides(let tiers)?: agent.modelTiers = backend.defaultModelTiers.merging(tiers)
        case nil: agent.modelTiers = backend.defaultModelTiers
        }
        var settings = AgentSettings(
            backend: backend, models: models, agent: agent, test: section.test.overlaid(with: overrides.test),
            configFile: file.flatMap { $0.path.isEmpty ? nil : $0.path }
        )
        settings.connection = connection
        settings.metricsListen = section.metricsListen
        settings.http = section.http.overlaid(with: overrides.http)
        if let variable = settings.http.apiKeyEnvironmentVariable ?? backend.defaultKeyVariable {
            settings.apiKey = environment[variable].flatMap { $0.isEmpty ? nil : $0 }
        }
        return settings
    }

    /// Every rule of the settings: the agent's (its policies included), the test backend's and
    /// the HTTP backends'. Fields as the provider's entry of the file names them.
    public func validate() throws(InvalidSetting) {
        try agent.validate(orderedModels: models)
        try test.validate()
        try http.validate()
    }

    /// The provider adapter the backend names; HTTP adapters use `client` (the process's one).
    public func makeProvider(client: HTTPClient = .shared) -> any LLMProvider {
        backend.makeProvider(provider: provider, settings: self, client: client)
    }

    // MARK: Names

    /// `[a-z0-9_-]+`: the name goes into topic and group names.
    public static func isValidProviderName(_ name: String) -> Bool {
        SettingRule.isProviderName(name)
    }

    /// `<hostname>-<pid>`: unique per process on a host, and per container (whose hostname is its id).
    public static func defaultInstanceID() -> String {
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "agent"
        let cleaned = String(
            host.unicodeScalars.map {
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_"
                    || $0 == "-" ? Character($0) : "-"
            }.prefix(100))
        return (cleaned.isEmpty ? "agent" : cleaned) + "-\(ProcessInfo.processInfo.processIdentifier)"
    }

    // MARK: Logging

    /// Whether a Kafka property holds a secret (its value is never logged): its name contains
    /// `password`, `secret`, `key`, `token` or `credential` (any case), or it is
    /// `sasl.oauthbearer.config` (which may embed a client secret).
    public static func isSecretProperty(_ name: String) -> Bool {
        let lower = name.lowercased()
        return ["password", "secret", "key", "token", "credential"].contains { lower.contains($0) }
            || lower == "sasl.oauthbearer.config"
    }

    /// `properties` with every secret value replaced by `***`.
    public static func masked(_ properties: [String: String]) -> [String: String] {
        Dictionary(uniqueKeysWithValues: properties.map { ($0.key, isSecretProperty($0.key) ? "***" : $0.value) })
    }

    /// The effective configuration as log metadata (dotted keys; secrets masked).
    public var loggingMetadata: Logger.Metadata {
        let rate = agent.rateLimit
        let breaker = agent.breaker
        var metadata: Logger.Metadata = [
            "agent.provider": "\(provider)",
            "agent.instance": "\(agent.instanceID)",
            "agent.backend": "\(backend.rawValue)",
            "agent.config_file": "\(configFile ?? "none")",
            "agent.models": .array(models.map { "\($0)" }),
            "agent.default_model": "\(agent.defaultModel ?? "none")",
            "agent.max_in_flight": "\(agent.maxInFlight)",
            "agent.max_concurrent_calls": "\(agent.maxConcurrentCalls)",
            "agent.max_message_bytes": "\(agent.maxMessageBytes)",
            "agent.session_timeout_ms": "\(Self.ms(agent.sessionTimeout))",
            "agent.status_interval_ms": "\(Self.ms(agent.statusInterval))",
            "agent.drain_timeout_ms": "\(Self.ms(agent.drainTimeout))",
            "agent.ledger": "\(agent.ledger)",
            "agent.ledger_window_ms": "\(Self.ms(agent.ledgerWindow))",
            "agent.ledger_max_entries": "\(agent.ledgerMaxEntries)",
            "agent.latency_profile": "\(agent.latency.name)",
            "agent.publish_timeout_ms": "\(Self.ms(agent.publishTimeout))",
            "agent.rate_limit.strategy": "\(rate.strategy.rawValue)",
            "agent.rate_limit.requests_per_window": "\(rate.requestsPerWindow.map(String.init) ?? "unlimited")",
            "agent.rate_limit.tokens_per_window": "\(rate.tokensPerWindow.map(String.init) ?? "unlimited")",
            "agent.rate_limit.window_ms": "\(Self.ms(rate.window))",
            "agent.rate_limit.batch_reserve": "\(rate.batchReserve)",
            "agent.circuit_breaker.consecutive_failures": "\(breaker.consecutiveFailures)",
            "agent.circuit_breaker.failure_rate_threshold": "\(breaker.failureRateThreshold.map { "\($0)" } ?? "off")",
            "agent.circuit_breaker.open_timeout_ms": "\(Self.ms(breaker.openTimeout))",
            "agent.circuit_breaker.counted_failures": .array(
                breaker.countedFailures.map(\.rawValue).sorted().map { "\($0)" }),
            "agent.prices.models": .array(agent.prices.prices.keys.sorted().map { "\($0)" }),
            "agent.resources.refresh_ms": "\(Self.ms(agent.resources.refreshInterval))",
            "agent.resources.max_cpu_percent": "\(agent.resources.maxCPUPercent.map { "\($0)" } ?? "off")",
            "agent.resources.max_memory_percent": "\(agent.resources.maxMemoryPercent.map { "\($0)" } ?? "off")",
            "agent.resources.max_gpu_memory_percent": "\(agent.resources.maxGPUMemoryPercent.map { "\($0)" } ?? "off")",
            "agent.resources.soft_cpu_percent": "\(agent.resources.softCPUPercent.map { "\($0)" } ?? "off")",
            "agent.resources.soft_memory_percent": "\(agent.resources.softMemoryPercent.map { "\($0)" } ?? "off")",
            "agent.resources.soft_gpu_memory_percent":
                "\(agent.resources.softGPUMemoryPercent.map { "\($0)" } ?? "off")",
            "kafka.bootstrap": "\(agent.bootstrapServers)",
            "kafka.topic_prefix": "\(agent.topicPrefix)",
            "kafka.request_topic": "\(agent.requestTopic)",
            "kafka.group": "\(agent.groupID)",
            "kafka.properties": .dictionary(Self.masked(agent.kafkaProperties).mapValues { "\($0)" }),
        ]
        if backend != .test {
            metadata["http.base_url"] = "\(http.baseURL ?? backend.defaultBaseURL ?? "")"
            metadata["http.api_key"] =
                apiKey == nil
                ? "absent" : "set (from \(http.apiKeyEnvironmentVariable ?? backend.defaultKeyVariable ?? ""))"
        }
        if backend == .test {
            let test = self.test.providerConfiguration(name: provider, models: models)
            metadata["test.latency"] = "\(TestBackendSettings.describe(test.latency))"
            metadata["test.server_error_rate"] = "\(test.failures.serverError)"
            metadata["test.timeout_rate"] = "\(test.failures.timeout)"
            metadata["test.rate_limited_rate"] = "\(test.failures.rateLimited)"
            metadata["test.seed"] = "\(test.seed)"
        }
        return metadata
    }

    private static func ms(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
