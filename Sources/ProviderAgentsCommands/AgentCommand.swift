import Agent
public import ArgumentParser
import Common
import Foundation
import Logging
import Metrics
import Providers
import ServiceLifecycle

/// `provider-agents agent --provider NAME`: one provider agent, until SIGTERM or SIGINT.
///
/// Settings come from the configuration file's `agents.<provider>` entry (`--config`, optional)
/// with the command-line options on top; see ``AgentSettings`` and docs/agent-core.md
/// ("Configuration file").
public struct AgentCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract:
            "Run a provider agent: answer provider_request signals from llm.requests.<provider> until SIGTERM/SIGINT.",
        discussion: """
            Settings come from the configuration file's agents.<provider> entry (--config, optional), \
            with the options below overriding it. Backends: `test` (the default: a deterministic \
            in-process provider, --test-* options or the file's `test:` section), `openai` (or any \
            OpenAI-compatible server, --base-url), `anthropic`, `ollama`, `llamacpp` — the HTTP ones \
            with the key from $OPENAI_API_KEY / $ANTHROPIC_API_KEY (or --api-key-env). On SIGTERM or SIGINT the \
            agent stops fetching, answers \
            what it already fetched, commits, publishes a final provider_status "stopped" and exits 0.
            """
    )

    @Option(help: "Provider name ([a-z0-9_-]+): topics llm.requests.<provider>, group llm-provider-<provider>.")
    var provider: String

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
        help:
            """
            This instance's id (in signals and the status key). Default: the file's instance_id, else \
            <hostname>-<pid>.
            """
    )
    var instanceID: String?

    @Option(help: "Seconds to wait for the broker at start before failing with an error naming the address.")
    var connectTimeout: Int = 10

    @Option(help: "Prefix for every topic name. Default: the file's kafka.topic_prefix, else none.")
    var topicPrefix: String?

    @Option(
        help: ArgumentHelp(
            "What answers the calls: \(AgentBackend.allowedValues). Default: the file's backend, else test.",
            valueName: "backend"))
    var backend: String?

    @Option(
        name: .customLong("set"),
        help: ArgumentHelp(
            "A key of the provider's entry in the configuration file, as the file writes it, with a YAML value "
                + "(repeatable; over the file): rate_limit.window_ms=1000, models=[a, b].",
            valueName: "key=value"
        ))
    var settingsOverlay: [String] = []

    @Option(
        help: ArgumentHelp(
            "HTTP backends: the upstream's base URL (default: the provider's public API).", valueName: "url"))
    var baseURL: String?

    @Option(
        help: ArgumentHelp(
            "HTTP backends: the environment variable holding the API key (default OPENAI_API_KEY for openai).",
            valueName: "name"))
    var apiKeyEnv: String?

    @Option(name: .customLong("test-latency-ms"), help: "Test backend: fixed latency per call, milliseconds.")
    var testLatencyMs: Double?

    @Option(
        name: .customLong("test-latency"),
        help: ArgumentHelp(
            "Test backend: latency distribution, \(TestBackendSettings.latencySpecHelp).", valueName: "spec"))
    var testLatency: String?

    @Option(
        name: .customLong("test-server-error-rate"),
        help: "Test backend: share of calls failing with a simulated 5xx (0...1).")
    var testServerErrorRate: Double?

    @Option(name: .customLong("test-timeout-rate"), help: "Test backend: share of calls timing out (0...1).")
    var testTimeoutRate: Double?

    @Option(
        name: .customLong("test-rate-limited-rate"),
        help: "Test backend: share of calls answered with a simulated 429 (0...1).")
    var testRateLimitedRate: Double?

    @Option(
        name: .customLong("test-seed"),
        help: "Test backend: random seed (same seed, same sequence of outcomes). Default 42.")
    var testSeed: UInt64?

    @Option(
        name: .customLong("test-call-log"),
        help: ArgumentHelp(
            """
            Append '<epoch ms> <request_id> <attempt>' per call that reaches the provider to this file (for tests \
            counting calls across processes).
            """,
            valueName: "path"))
    var testCallLog: String?

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
            // The options on their own (the file and --set are read when the agent starts).
            _ = try overlay()
            _ = try AgentSettings.resolve(provider: provider, file: nil, overrides: try overrides(), environment: [:])
        } catch {
            throw ValidationError("\(error)")
        }
    }

    /// The command line's settings (options not given stay `nil`), read; the rules check them
    /// with the file in ``settings(environment:)``.
    public func overrides() throws(AgentConfigurationError) -> AgentSettings.Overrides {
        var overrides = AgentSettings.Overrides()
        if let backend {
            do throws(InvalidSetting) {
                overrides.backend = try AgentBackend(named: backend)
            } catch {
                throw .option("--backend", error.message)
            }
        }
        overrides.http = HTTPBackendSettings(baseURL: baseURL, apiKeyEnvironmentVariable: apiKeyEnv)
        let connection = try ConnectionOverrides(
            bootstrap: bootstrap, topicPrefix: topicPrefix, instanceID: instanceID, properties: properties)
        overrides.bootstrap = connection.bootstrap
        overrides.topicPrefix = connection.topicPrefix
        overrides.instanceID = connection.instanceID
        overrides.kafkaProperties = connection.kafkaProperties
        switch (testLatencyMs, testLatency) {
        case (.some, .some):
            throw .option("--test-latency-ms", "give either --test-latency-ms or --test-latency, not both")
        case (let milliseconds?, nil):
            do throws(InvalidSetting) {
                overrides.test.latency = try TestBackendSettings.fixedLatency(milliseconds: milliseconds)
            } catch {
                throw .option("--test-latency-ms", error.message)
            }
        case (nil, let spec?):
            do throws(InvalidSetting) {
                overrides.test.latency = try TestBackendSettings.parseLatency(spec)
            } catch {
                throw .option("--test-latency", error.message)
            }
        case (nil, nil):
            break
        }
        overrides.test.serverErrorRate = testServerErrorRate
        overrides.test.timeoutRate = testTimeoutRate
        overrides.test.rateLimitedRate = testRateLimitedRate
        overrides.test.seed = testSeed
        return overrides
    }

    /// The `--set` options, over the provider's entry.
    public func overlay() throws(AgentConfigurationError) -> ConfigOverlay {
        try ConfigOverlay(section: ["agents", provider], arguments: settingsOverlay)
    }

    /// The effective settings: `--config` (when given) read with `--set` over it, the environment
    /// and the other options on top, checked.
    public func settings(environment: [String: String]? = nil) throws(AgentConfigurationError) -> AgentSettings {
        let overlay = try overlay()
        var file = try config.map { path throws(AgentConfigurationError) in
            try AgentConfigurationFile.load(path: path, environment: environment, overlay: overlay)
        }
        if file == nil, !overlay.isEmpty {
            file = try AgentConfigurationFile.parse("", file: "", environment: environment, overlay: overlay)
        }
        return try AgentSettings.resolve(
            provider: provider, file: file, overrides: try overrides(), environment: environment)
    }

    public func run() async throws {
        let logger = logging.bootstrap(label: "provider-agents.agent")
        let settings = try self.settings()
        logger.info("agent configuration", metadata: settings.loggingMetadata)
        if settings.agent.maxConcurrentCalls < settings.agent.maxInFlight {
            logger.warning(
                "max_concurrent_calls is below max_in_flight: requests beyond it are refused as overloaded",
                metadata: [
                    LogKey.maxConcurrentCalls: "\(settings.agent.maxConcurrentCalls)",
                    LogKey.maxInFlight: "\(settings.agent.maxInFlight)",
                ])
        }
        let openFiles = OpenFileLimit.raiseToHardLimit()
        if let openFiles, settings.backend != .test, openFiles < settings.agent.maxConcurrentCalls + 256 {
            logger.warning(
                "the open-file limit is below max_concurrent_calls: HTTP calls beyond it fail to connect",
                metadata: [
                    LogKey.openFilesLimit: "\(openFiles)",
                    LogKey.maxConcurrentCalls: "\(settings.agent.maxConcurrentCalls)",
                ])
        }
        if settings.backend != .test, settings.http.client.maxConnectionsPerHost < settings.agent.maxConcurrentCalls {
            logger.warning(
                """
                http.max_connections is below max_concurrent_calls: over HTTP/1.1 the calls beyond it wait for a \
                connection
                """,
                metadata: [
                    LogKey.maxConnections: "\(settings.http.client.maxConnectionsPerHost)",
                    LogKey.maxConcurrentCalls: "\(settings.agent.maxConcurrentCalls)",
                ])
        }
        // One HTTP client for the process, closed after the agent stopped (first service: last down).
        let http = HTTPClientService(settings: settings.http.client)
        var provider = settings.makeProvider(client: http.client)
        if let testCallLog {
            provider = try CallLoggingProvider(wrapping: provider, path: testCallLog)
        }
        var agentConfiguration = settings.agent
        agentConfiguration.connectTimeout = .seconds(connectTimeout)
        let endpoint = try MetricsEndpointSetting(
            listen: metricsListen ?? settings.metricsListen, option: "--metrics-listen")
        let agent = try ProviderAgent(
            configuration: agentConfiguration, provider: provider, logger: logger,
            metrics: MetricsEndpointSetting.factory(endpoint))
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: http, serviceName: "http-client"),
            .init(service: agent, serviceName: "agent-\(settings.provider)"),
        ]
        if let endpoint { services.append(endpoint.member(logger: logger) { agent.holdsAssignment }) }
        var configuration = ServiceGroupConfiguration(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        // A shutdown that does not finish is escalated to cancellation, and a cancellation that
        // does not end it aborts the process: an agent never hangs on SIGTERM.
        configuration.maximumGracefulShutdownDuration = settings.agent.drainTimeout + Self.shutdownMargin
        configuration.maximumCancellationDuration = Self.cancellationLimit
        let group = ServiceGroup(configuration: configuration)
        try await group.run()
    }

    /// After the drain timeout: time to commit, leave the group, publish the final status and flush.
    static let shutdownMargin = Duration.seconds(10)
    /// After cancellation: the last resort before the process aborts.
    static let cancellationLimit = Duration.seconds(5)
}
