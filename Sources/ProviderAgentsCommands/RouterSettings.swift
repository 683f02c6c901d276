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

        public init(bootstrap: String? = nil, topicPrefix: String? = nil, instanceID: String? = nil, strategy: RoutingStrategy? = nil) {
            self.bootstrap = bootstrap
            self.topicPrefix = topicPrefix
            self.instanceID = instanceID
            self.strategy = strategy
        }
    }

    public var router: LLMRouterConfiguration
    public var configFile: String?

    /// The settings from `file` (optional) and the command line. Providers the file's `agents:`
    /// section defines are known to the router (their `models` and `prices` feed the routing)
    /// even before their agents report; `router.providers` adds capabilities.
    public static func resolve(
        file: AgentConfigurationFile?, overrides: Overrides, environment: [String: String]? = nil,
        defaultInstanceID: @autoclosure () -> String = AgentSettings.defaultInstanceID()
    ) throws(AgentConfigurationError) -> RouterSettings {
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
        for (model, targets) in section.modelMap {
            for target in targets {
                let provider = String(target.split(separator: "/", maxSplits: 1)[0])
                if let file, file.definesAgents || !section.providers.isEmpty,
                   file.agents[provider] == nil, section.providers[provider] == nil {
                    throw AgentConfigurationError(
                        file: file.path, key: "router.model_map.\(model)",
                        message: "names provider '\(provider)', which neither agents: nor router.providers defines"
                    )
                }
            }
        }
        var reroute = RerouteSettings()
        if let value = section.maxAttempts { reroute.maxAttempts = value }
        if let value = section.totalDeadline { reroute.totalDeadline = value }
        if let value = section.backoffBase { reroute.backoffBase = value }
        if let value = section.backoffMax { reroute.backoffMax = value }
        reroute.contextFallbacks = section.contextFallbacks

        let environmentBootstrap = (environment ?? ProcessInfo.processInfo.environment)["KAFKA_BOOTSTRAP"].flatMap { $0.isEmpty ? nil : $0 }
        let defaults = LLMRouterConfiguration(instanceID: "", bootstrapServers: "")
        let configuration = LLMRouterConfiguration(
            instanceID: overrides.instanceID ?? section.instanceID ?? defaultInstanceID(),
            bootstrapServers: overrides.bootstrap ?? file?.kafka.bootstrap ?? environmentBootstrap ?? AgentSettings.defaultBootstrap,
            topicPrefix: overrides.topicPrefix ?? file?.kafka.topicPrefix ?? "",
            routing: routing, reroute: reroute,
            staleAfterMissedIntervals: section.staleAfterMissedIntervals ?? defaults.staleAfterMissedIntervals,
            forgetAfter: section.forgetAfter ?? defaults.forgetAfter,
            maxInFlight: section.maxInFlight ?? defaults.maxInFlight,
            maxMessageBytes: section.maxMessageBytes ?? defaults.maxMessageBytes,
            sessionTimeout: section.sessionTimeout ?? defaults.sessionTimeout,
            drainTimeout: section.drainTimeout ?? defaults.drainTimeout,
            kafkaProperties: (file?.kafka.properties ?? [:]).merging(overrides.kafkaProperties) { _, new in new }
        )
        return RouterSettings(router: configuration, configFile: file?.path)
    }

    /// The effective configuration as log metadata (dotted keys; secrets masked).
    public var loggingMetadata: Logger.Metadata {
        let routing = router.routing
        return [
            "router.instance": "\(router.instanceID)",
            "router.config_file": "\(configFile ?? "none")",
            "router.strategy": "\(routing.strategy.rawValue)",
            "router.model_map": .dictionary(routing.modelProviders.mapValues { .array($0.map { "\($0)" }) }),
            "router.known_providers": .array(routing.knownProviders.union(routing.capabilities.keys).sorted().map { "\($0)" }),
            "router.max_attempts": "\(router.reroute.maxAttempts)",
            "router.total_deadline_ms": "\(router.reroute.totalDeadline)",
            "router.context_fallbacks": .dictionary(router.reroute.contextFallbacks.mapValues { "\($0)" }),
            "router.max_in_flight": "\(router.maxInFlight)",
            "kafka.bootstrap": "\(router.bootstrapServers)",
            "kafka.topic_prefix": "\(router.topicPrefix)",
            "kafka.group": "\(router.groupID)",
            "kafka.properties": .dictionary(AgentSettings.masked(router.kafkaProperties).mapValues { "\($0)" }),
        ]
    }
}
