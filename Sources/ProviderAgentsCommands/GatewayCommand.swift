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

    @Option(help: "Address to listen on, host:port.")
    var listen: String = "127.0.0.1:8080"

    @OptionGroup var kafka: KafkaOptions

    @Option(help: "This instance's id (its reply topic's suffix). Default: <hostname>-<pid>.")
    var instanceID: String?

    @Option(help: "Prefix of every topic name (as the agents' and routers' --topic-prefix).")
    var topicPrefix: String = ""

    @Option(help: "Largest request body in bytes (larger ones get 413).")
    var maxBodyBytes: Int = 4 << 20

    @Option(help: "Seconds a request may wait for its answer (then 504).")
    var requestTimeout: Double = 600

    @Option(help: "Seconds a connection may send nothing outside a request (idle, or a request's head stalled).")
    var idleTimeout: Double = 60

    @Option(
        help: ArgumentHelp(
            "How long Kafka waits to batch: \(LatencyProfile.all.map(\.name).joined(separator: ", ")).",
            valueName: "profile"))
    var latencyProfile: String = LatencyProfile.balanced.name

    @OptionGroup var logging: LoggingOptions

    public init() {}

    public func validate() throws {
        do {
            // The keys come from the environment when the gateway starts (the rule that a gateway
            // without keys serves loopback only is checked then, in `run`).
            _ = try gatewayConfiguration(environment: [GatewayConfiguration.keysVariable: "placeholder"])
        } catch let error as InvalidSetting {
            throw ValidationError(Self.message(error))
        }
    }

    /// The settings from the options and the environment, checked.
    func gatewayConfiguration(environment: [String: String]) throws -> GatewayConfiguration {
        let (host, port) = try Self.address(listen)
        guard requestTimeout.isFinite, requestTimeout > 0 else {
            throw InvalidSetting(field: "request_timeout", message: "must be a positive number of seconds")
        }
        let keys = try GatewayConfiguration.keys(fromEnvironment: environment[GatewayConfiguration.keysVariable])
        var kafka = try self.kafka.configuration()
        kafka.clientID = "provider-agents-gateway"
        let instance = instanceID ?? "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
        let profile = try LatencyProfile(named: latencyProfile)
        var configuration = GatewayConfiguration(
            kafka: kafka, instanceID: "gateway-\(instance)", topicPrefix: topicPrefix, listenHost: host,
            listenPort: port, keys: keys, maxBodyBytes: maxBodyBytes,
            requestTimeout: .milliseconds(Int64((requestTimeout * 1_000).rounded())),
            connectTimeout: self.kafka.connectDuration)
        configuration.latency = profile
        guard idleTimeout.isFinite, idleTimeout > 0 else {
            throw InvalidSetting(field: "idle_timeout", message: "must be a positive number of seconds")
        }
        configuration.idleTimeout = .milliseconds(Int64((idleTimeout * 1_000).rounded()))
        try configuration.validate()
        return configuration
    }

    static func address(_ text: String) throws(InvalidSetting) -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else {
            throw InvalidSetting(field: "listen", message: "expected host:port, got '\(text)'")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }

    static func message(_ error: InvalidSetting) -> String {
        switch error.field {
        case "listen": "--listen: \(error.message)"
        case "max_body_bytes": "--max-body-bytes: \(error.message)"
        case "request_timeout": "--request-timeout: \(error.message)"
        case "kafka.topic_prefix": "--topic-prefix: \(error.message)"
        case "latency_profile": "--latency-profile: \(error.message)"
        case "idle_timeout": "--idle-timeout: \(error.message)"
        default: error.description
        }
    }

    public func run() async throws {
        let logger = logging.bootstrap(label: "provider-agents.gateway")
        let configuration: GatewayConfiguration
        do {
            configuration = try gatewayConfiguration(environment: ProcessInfo.processInfo.environment)
        } catch let error as InvalidSetting {
            throw ValidationError(Self.message(error))
        }
        let gateway = try Gateway(configuration: configuration, logger: logger)
        var group = ServiceGroupConfiguration(
            services: [.init(service: gateway, serviceName: "gateway")],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        group.maximumGracefulShutdownDuration = .seconds(30)
        group.maximumCancellationDuration = AgentCommand.cancellationLimit
        try await ServiceGroup(configuration: group).run()
    }
}
