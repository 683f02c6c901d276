public import Common
import Foundation
public import Logging
public import Router
public import RouterAgent

/// Everything one `provider-agents router` process runs with: the configuration file's `router:`
/// section (and its `kafka:` section, and the `agents:` entries' models and prices), the command
/// line on top, defaults for the rest.
public struct RouterSettings: Sendable {
    /// What the command line sets; `nil` / empty: the file or the default decides.
    public struct Overrides: Sendable, Hashable {
        public var bootstrap: String?
        public var topicPrefix: String?
        public var instanceID: String?
        public var strategy: RoutingStrategy?
        public var kafkaProperties: [String: String] = [:]

        public init(
            bootstrap: String? = nil, topicPrefix: String? = nil, instanceID: String? = nil,
            strategy: RoutingStrategy? = nil
        ) {
            self.bootstrap = bootstrap
            self.topicPrefix = topicPrefix
            self.instanceID = instanceID
            self.strategy = strategy
        }

        /// Which option set which field, for errors.
        var origins: SettingOrigins {
            var origins = SettingOrigins()
            origins.add("kafka.bootstrap", "--bootstrap", when: bootstrap != nil)
            origins.add("kafka.topic_prefix", "--topic-prefix", when: topicPrefix != nil)
            origins.add("instance_id", "--instance-id", when: instanceID != nil)
            origins.add("strategy", "--strategy", when: strategy != nil)
            return origins
        }
    }

    public var router: LLMRouterConfiguration
    public var configFile: String?
    /// Where the monitoring endpoint listens (the file's `router.metrics_listen`), if anywhere.
    public var metricsListen: String?
    /// Whether the bootstrap servers came from `$KAFKA_BOOTSTRAP`.
    var bootstrapFromEnvironment = false

    /// The settings from `file` (optional), the environment and the command line, checked.
    /// Providers the file's `agents:` section defines are known to the router (their `models`
    /// and `prices` feed the routing) even before their agents report; `router.providers` adds
    /// capabilities. Precedence: option → environment → file → default.
    public static func resolve(
        file: AgentConfigurationFile?, overrides: Overrides, environment: [String: String]? = nil,
        defaultInstanceID: @autoclosure () -> String = AgentSettings.defaultInstanceID()
    ) throws(AgentConfigurationError) -> RouterSettings {
        let environment = environment ?? ProcessInfo.processInfo.environment
        let instanceID = overrides.instanceID ?? file?.router?.instanceID ?? defaultInstanceID()
        let settings = build(file: file, overrides: overrides, environment: environment, instanceID: instanceID)
        do throws(InvalidSetting) {
            try settings.validate()
        } catch {
            var origins = overrides.origins
            let fromEnvironment = settings.bootstrapFromEnvironment
            origins.add("kafka.bootstrap", "$" + ConnectionSettings.bootstrapVariable, when: fromEnvironment)
            throw origins.error(for: error, file: file, section: ["router"])
        }
        return settings
    }

    /// The settings by precedence, not checked; `instanceID` when neither the options nor the
    /// file name one.
    static func build(
        file: AgentConfigurationFile?, overrides: Overrides, environment: [String: String], instanceID: String
    ) -> RouterSettings {
        let section = file?.router ?? AgentConfigurationFile.RouterSection()
        var routing = RoutingConfiguration()
        routing.strategy = overrides.strategy ?? section.strategy ?? routing.strategy
        routing.modelProviders = section.modelMap
        routing.weights = section.weights
        if let weight = section.defaultWeight { routing.defaultWeight = weight }
        if let tokens = section.assumedCompletionTokens { routing.assumedCompletionTokens = tokens }
        // An agents: entry makes its provider and models known (its features then come from
        // its agents' statuses); only router.providers states capabilities that filter.
        for (provider, agent) in file?.agents ?? [:] {
            routing.knownProviders.insert(provider)
            routing.providerModels[provider] = agent.models ?? AgentSettings.defaultModels
            if let prices = agent.prices { routing.prices[provider] = prices }
        }
        routing.capabilities = section.providers
        var reroute = RerouteSettings()
        if let value = section.maxAttempts { reroute.maxAttempts = value }
        if let value = section.totalDeadline { reroute.totalDeadline = value }
        if let value = section.backoffBase { reroute.backoffBase = value }
        if let value = section.backoffMax { reroute.backoffMax = value }
        reroute.contextFallbacks = section.contextFallbacks

        let connection = ConnectionSettings(
            bootstrap: overrides.bootstrap, topicPrefix: overrides.topicPrefix, properties: overrides.kafkaProperties,
            file: file?.kafka, environment: environment
        )
        let defaults = LLMRouterConfiguration(instanceID: "", bootstrapServers: "")
        var configuration = LLMRouterConfiguration(
            instanceID: overrides.instanceID ?? section.instanceID ?? instanceID,
            bootstrapServers: connection.bootstrap,
            topicPrefix: connection.topicPrefix,
            routing: routing, reroute: reroute,
            staleAfterMissedIntervals: section.staleAfterMissedIntervals ?? defaults.staleAfterMissedIntervals,
            forgetAfter: section.forgetAfter ?? defaults.forgetAfter,
            maxInFlight: section.maxInFlight ?? defaults.maxInFlight,
            maxMessageBytes: section.maxMessageBytes ?? defaults.maxMessageBytes,
            sessionTimeout: section.sessionTimeout ?? defaults.sessionTimeout,
            drainTimeout: section.drainTimeout ?? defaults.drainTimeout,
            kafkaProperties: connection.properties
        )
        if let value = section.latencyProfile { configuration.latency = value }
        if let value = section.publishTimeout { configuration.publishTimeout = value }
        if let value = section.shortWaitLimit { configuration.shortWaitLimit = value }
        if let value = section.journalWindow { configuration.journalWindow = value }
        let configFile = file.flatMap { $0.path.isEmpty ? nil : $0.path }
        var settings = RouterSettings(router: configuration, configFile: configFile)
        settings.metricsListen = section.metricsListen
        settings.bootstrapFromEnvironment = connection.bootstrapFromEnvironment
        return settings
    }

    /// Every rule of the router's settings (``LLMRouterConfiguration/validate()``).
    public func validate() throws(InvalidSetting) {
        try router.validate()
    }

    /// The effective configuration as log metadata (dotted keys; secrets masked).
    public var loggingMetadata: Logger.Metadata {
        let routing = router.routing
        return [
            "router.instance": "\(router.instanceID)",
            "router.config_file": "\(configFile ?? "none")",
            "router.strategy": "\(routing.strategy.rawValue)",
            "router.model_map": .dictionary(routing.modelProviders.mapValues { .array($0.map { "\($0)" }) }),
            "router.known_providers": .array(
                routing.knownProviders.union(routing.capabilities.keys).sorted().map { "\($0)" }),
            "router.max_attempts": "\(router.reroute.maxAttempts)",
            "router.total_deadline_ms": "\(router.reroute.totalDeadline)",
            "router.context_fallbacks": .dictionary(router.reroute.contextFallbacks.mapValues { "\($0)" }),
            "router.max_in_flight": "\(router.maxInFlight)",
            "router.latency_profile": "\(router.latency.name)",
            "router.publish_timeout_ms": "\(router.publishTimeout.wholeMilliseconds)",
            "router.short_wait_limit_ms": "\(router.shortWaitLimit.wholeMilliseconds)",
            "router.journal_window_ms": "\(router.journalWindow.wholeMilliseconds)",
            "kafka.bootstrap": "\(router.bootstrapServers)",
            "kafka.topic_prefix": "\(router.topicPrefix)",
            "kafka.group": "\(router.groupID)",
            "kafka.properties": .dictionary(AgentSettings.masked(router.kafkaProperties).mapValues { "\($0)" }),
        ]
    }
}
