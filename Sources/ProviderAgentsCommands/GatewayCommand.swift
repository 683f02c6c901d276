public import ArgumentParser
import Common
import Foundation
import Gateway
import Kafka
import Logging
import ServiceLifecycle

/// `provider-agents gateway`: an OpenAI-compatible HTTP gateway over Kafka, until SIGTERM or
/// SIGINT (docs/gateway.md).
public struct GatewayCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Serve the OpenAI API (chat completions, models) over HTTP, handing every request to Kafka.",
        discussion: """
            Requests go to the router (llm.router.requests), or straight to a provider's agents when the model is \
            written provider/model; answers come back on this instance's own reply topic \
            (<prefix>llm.replies.gateway-<instance id>), so any number of gateways run side by side. Keys: \
            \(GatewayConfiguration.keysVariable)=key1,key2 (sent as 'Authorization: Bearer <key>'); with no key \
            configured the gateway serves loopback addresses only. docs/gateway.md has the details.
            """
    )

    @Option(help: "Configuration file (YAML): its kafka: and gateway: sections; the options below win over it.")
    var config: String?

    @Option(help: "Address to listen on, host:port. Default: the file's gateway.listen, else 127.0.0.1:8080.")
    var listen: String?

    @OptionGroup var kafka: KafkaOptions

    @Option(help: "This instance's id (its reply topic's suffix). Default: the file's, else <hostname>-<pid>.")
    var instanceID: String?

    @Option(help: "Prefix of every topic name (as the agents' and routers' --topic-prefix).")
    var topicPrefix: String?

    @Option(help: "Largest request body in bytes (larger ones get 413). Default 4194304.")
    var maxBodyBytes: Int?

    @Option(help: "Seconds a request may wait for its answer (then 504). Default 600.")
    var requestTimeout: Double?

    @Option(
        help: "Seconds a connection may send nothing outside a request (idle, or a request's head stalled). Default 60."
    )
    var idleTimeout: Double?

    @Option(
        help: ArgumentHelp(
            "How long Kafka waits to batch: \(LatencyProfile.all.map(\.name).joined(separator: ", "))"
                + ". Default balanced.",
            valueName: "profile"))
    var latencyProfile: String?

    @Option(help: "Seconds a batch job created here may run before it expires. Default 86400 (24 hours).")
    var batchWindow: Int?

    @Flag(help: "Do not run a batch runner in this process (run `provider-agents batch runner` elsewhere).")
    var noBatchRunner = false

    @Option(
        help: ArgumentHelp(
            "Serve /metrics (Prometheus), /health and /ready here (the file's metrics_listen). Default: none.",
            valueName: "host:port"))
    var metricsListen: String?

    @OptionGroup var logging: LoggingOptions

    public init() {}

    public func validate() throws {
        do {
            // The file and the keys are read when the gateway starts (the rule that a gateway
            // without keys serves loopback only is checked then, in `run`).
            _ = try gatewayConfiguration(
                environment: [GatewayConfiguration.keysVariable: "placeholder"], file: nil)
        } catch let error as InvalidSetting {
            throw ValidationError(Self.message(error))
        }
    }

    /// The settings: the options over the file's `gateway:` and `kafka:` sections over the
    /// defaults, keys from the file and from `PROVIDER_AGENTS_GATEWAY_KEYS`, checked.
    func gatewayConfiguration(environment: [String: String], file: AgentConfigurationFile?) throws
        -> GatewayConfiguration
    {
        let section = file?.gateway
        let (host, port) = try Self.address(listen ?? section?.listen ?? "127.0.0.1:8080")
        let connection = try ConnectionOverrides(
            bootstrap: kafka.bootstrapOption, topicPrefix: topicPrefix, instanceID: instanceID,
            properties: kafka.properties)
        let settings = ConnectionSettings(
            bootstrap: connection.bootstrap, topicPrefix: connection.topicPrefix,
            properties: connection.kafkaProperties, file: file?.kafka, environment: environment)
        var kafkaConfiguration = KafkaConfiguration(
            bootstrapServers: settings.bootstrap, properties: settings.properties)
        kafkaConfiguration.clientID = "provider-agents-gateway"
        let instance =
            instanceID ?? section?.instanceID
            ?? "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
        var keys: [GatewayKey] = []
        for entry in section?.keys ?? [] {
            keys.append(try entry.resolved(environment: environment, file: file?.path ?? ""))
        }
        keys += try GatewayConfiguration.keys(fromEnvironment: environment[GatewayConfiguration.keysVariable])
        var configuration = GatewayConfiguration(
            kafka: kafkaConfiguration, instanceID: "gateway-\(instance)", topicPrefix: settings.topicPrefix,
            listenHost: host, listenPort: port, keys: keys, connectTimeout: kafka.connectDuration)
        configuration.maxBodyBytes = maxBodyBytes ?? section?.maxBodyBytes ?? configuration.maxBodyBytes
        if let seconds = requestTimeout {
            configuration.requestTimeout = try Self.seconds(seconds, field: "request_timeout")
        } else if let duration = section?.requestTimeout {
            configuration.requestTimeout = duration
        }
        if let seconds = idleTimeout {
            configuration.idleTimeout = try Self.seconds(seconds, field: "idle_timeout")
        } else if let duration = section?.idleTimeout {
            configuration.idleTimeout = duration
        }
        if let latencyProfile {
            configuration.latency = try LatencyProfile(named: latencyProfile)
        } else if let profile = section?.latencyProfile {
            configuration.latency = profile
        }
        configuration.runsBatches = !noBatchRunner
        configuration.batchWindow = batchWindow ?? section?.batchWindow ?? configuration.batchWindow
        try configuration.validate()
        return configuration
    }

    private static func seconds(_ value: Double, field: String) throws(InvalidSetting) -> Duration {
        guard value.isFinite, value > 0 else {
            throw InvalidSetting(field: field, message: "must be a positive number of seconds, got \(value)")
        }
        return .milliseconds(Int64((value * 1_000).rounded()))
    }

    static func address(_ text: String) throws(InvalidSetting) -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else {
            throw InvalidSetting(field: "listen", message: "expected host:port, got '\(text)'")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }

    /// The error, naming the option and the file's key that set the value.
    static func message(_ error: InvalidSetting) -> String {
        switch error.field {
        case "listen": "--listen / gateway.listen: \(error.message)"
        case "max_body_bytes": "--max-body-bytes / gateway.max_body_bytes: \(error.message)"
        case "request_timeout": "--request-timeout / gateway.request_timeout_ms: \(error.message)"
        case "idle_timeout": "--idle-timeout / gateway.idle_timeout_ms: \(error.message)"
        case "kafka.topic_prefix": "--topic-prefix / kafka.topic_prefix: \(error.message)"
        case "latency_profile": "--latency-profile / gateway.latency_profile: \(error.message)"
        default: error.field.hasPrefix("keys") ? "gateway.\(error.description)" : error.description
        }
    }

    public func run() async throws {
        let logger = logging.bootstrap(label: "provider-agents.gateway")
        let environment = ProcessInfo.processInfo.environment
        let configuration: GatewayConfiguration
        var fileMetricsListen: String?
        do {
            let file = try config.map { path throws(AgentConfigurationError) in
                try AgentConfigurationFile.load(path: path, environment: environment)
            }
            fileMetricsListen = file?.gateway?.metricsListen
            configuration = try gatewayConfiguration(environment: environment, file: file)
        } catch let error as InvalidSetting {
            throw ValidationError(Self.message(error) + (config.map { " (with the file \($0))" } ?? ""))
        } catch let error as AgentConfigurationError {
            throw ValidationError("\(error)")
        }
        let endpoint = try MetricsEndpointSetting(
            listen: metricsListen ?? fileMetricsListen, option: "--metrics-listen")
        let gateway = try Gateway(
            configuration: configuration, logger: logger, metrics: MetricsEndpointSetting.factory(endpoint))
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: gateway, serviceName: "gateway")
        ]
        if let endpoint { services.append(endpoint.member(logger: logger) { gateway.port != nil }) }
        var group = ServiceGroupConfiguration(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        group.maximumGracefulShutdownDuration = .seconds(30)
        group.maximumCancellationDuration = AgentCommand.cancellationLimit
        try await ServiceGroup(configuration: group).run()
    }
}
