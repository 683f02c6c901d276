public import ArgumentParser
import Common
import Foundation
import Logging
import Router
import RouterAgent
import ServiceLifecycle

/// `provider-agents router`: one router instance, until SIGTERM or SIGINT.
///
/// Settings come from the configuration file's `router:` section (`--config`, optional) with the
/// command-line options on top; see ``RouterSettings`` and docs/router.md.
public struct RouterCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "router",
        abstract:
            """
            Run a router: route client requests from llm.router.requests to providers, fall back on retryable \
            errors, until SIGTERM/SIGINT.
            """,
        discussion: """
            Consumes llm.router.requests and llm.errors in group llm-router and reads all of llm.status \
            (the provider registry). Settings come from the configuration file's router: section \
            (--config, optional; its agents: entries make their providers and models known), with the \
            options below overriding it. On SIGTERM or SIGINT the router stops fetching, hands retries \
            waiting out a backoff back to the group, finishes what it is forwarding, commits and exits 0.
            """
    )

    @Option(help: "Configuration file (YAML); without one, defaults and options only.")
    var config: String?

    @Option(
        help: """
            Bootstrap servers, host:port[,host:port...]. Default: $KAFKA_BOOTSTRAP, else the file's kafka.bootstrap, \
            else 127.0.0.1:9092.
            """)
    var bootstrap: String?

    @Option(
        name: .customShort("X"),
        help: ArgumentHelp(
            "Any librdkafka property, key=value (repeatable; over the file's kafka.properties).", valueName: "key=value"
        ))
    var properties: [String] = []

    @Option(
        help: "This instance's id (in route contexts). Default: the file's router.instance_id, else <hostname>-<pid>.")
    var instanceID: String?

    @Option(help: "Seconds to wait for the broker at start before failing with an error naming the address.")
    var connectTimeout: Int = 10

    @Option(help: "Prefix for every topic name. Default: the file's kafka.topic_prefix, else none.")
    var topicPrefix: String?

    @Option(
        help: ArgumentHelp(
            """
            Routing strategy: \(RoutingStrategy.allCases.map(\.rawValue).joined(separator: ", ")). Default: the \
            file's router.strategy, else least_loaded.
            """,
            valueName: "strategy"))
    var strategy: String?

    @Option(
        name: .customLong("set"),
        help: ArgumentHelp(
            """
            A key of the file's router: section, as the file writes it, with a YAML value (repeatable; over the \
            file): \

            """
                + "max_attempts=5, model_map.chat=[openai, anthropic].",
            valueName: "key=value"
        ))
    var settingsOverlay: [String] = []

    @Option(
        help: ArgumentHelp(
            "Serve /metrics (Prometheus), /health and /ready here (the file's metrics_listen). Default: none.",
            valueName: "host:port"))
    var metricsListen: String?

    @OptionGroup var logging: LoggingOptions

    public init() {}

    public func validate() throws {
        guard connectTimeout > 0 else {
            throw ValidationError("--connect-timeout: must be at least 1 second, got \(connectTimeout)")
        }
        do {
            // The options on their own (the file and --set are read when the router starts).
            _ = try overlay()
            _ = try RouterSettings.resolve(file: nil, overrides: try overrides(), environment: [:])
        } catch {
            throw ValidationError("\(error)")
        }
    }

    /// The command line's settings (options not given stay `nil`), read; the rules check them
    /// with the file in ``settings(environment:)``.
    public func overrides() throws(AgentConfigurationError) -> RouterSettings.Overrides {
        let connection = try ConnectionOverrides(
            bootstrap: bootstrap, topicPrefix: topicPrefix, instanceID: instanceID, properties: properties)
        var overrides = RouterSettings.Overrides(
            bootstrap: connection.bootstrap, topicPrefix: connection.topicPrefix, instanceID: connection.instanceID)
        overrides.kafkaProperties = connection.kafkaProperties
        if let strategy {
            do throws(InvalidSetting) {
                overrides.strategy = try RoutingStrategy(named: strategy)
            } catch {
                throw .option("--strategy", error.message)
            }
        }
        return overrides
    }

    /// The `--set` options, over the `router:` section.
    public func overlay() throws(AgentConfigurationError) -> ConfigOverlay {
        try ConfigOverlay(section: ["router"], arguments: settingsOverlay)
    }

    /// The effective settings: `--config` (when given) read with `--set` over it, the environment
    /// and the other options on top, checked.
    public func settings(environment: [String: String]? = nil) throws(AgentConfigurationError) -> RouterSettings {
        let overlay = try overlay()
        var file = try config.map { path throws(AgentConfigurationError) in
            try AgentConfigurationFile.load(path: path, environment: environment, overlay: overlay)
        }
        if file == nil, !overlay.isEmpty {
            file = try AgentConfigurationFile.parse("", file: "", environment: environment, overlay: overlay)
        }
        var settings = try RouterSettings.resolve(file: file, overrides: try overrides(), environment: environment)
        settings.router.connectTimeout = .seconds(connectTimeout)
        return settings
    }

    public func run() async throws {
        let logger = logging.bootstrap(label: "provider-agents.router")
        let settings = try self.settings()
        logger.info("router configuration", metadata: settings.loggingMetadata)
        let endpoint = try MetricsEndpointSetting(
            listen: metricsListen ?? settings.metricsListen, option: "--metrics-listen")
        let router = try LLMRouter(
            configuration: settings.router, logger: logger, metrics: MetricsEndpointSetting.factory(endpoint))
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: router, serviceName: "router")]
        if let endpoint { services.append(endpoint.member(logger: logger) { router.assignedPartitions > 0 }) }
        var configuration = ServiceGroupConfiguration(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        configuration.maximumGracefulShutdownDuration = settings.router.drainTimeout + AgentCommand.shutdownMargin
        configuration.maximumCancellationDuration = AgentCommand.cancellationLimit
        try await ServiceGroup(configuration: configuration).run()
    }
}
