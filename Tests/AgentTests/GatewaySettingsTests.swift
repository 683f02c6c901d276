import ArgumentParser
import Common
import Foundation
import Gateway
import Testing

@testable import ProviderAgentsCommands

/// The gateway's settings as a user gives them: the configuration file's `gateway:` section (keys
/// with their secrets in the environment), `PROVIDER_AGENTS_GATEWAY_KEYS`, and the options over both.
@Suite("Gateway settings: file, environment, options")
struct GatewaySettingsTests {
    static let file = """
        kafka: { bootstrap: "kafka-1:9092", topic_prefix: "prod." }
        gateway:
          listen: 0.0.0.0:9000
          instance_id: gw-a
          keys:
            - { name: team-a, key_env: TEAM_A_KEY, models: [gpt-4o-mini] }
            - { name: ops, key: sk-ops-in-file }
          max_body_bytes: 2048
          request_timeout_ms: 30000
          idle_timeout_ms: 5000
          latency_profile: interactive
        """

    static func configuration(_ arguments: [String], file: String?, environment: [String: String]) throws
        -> GatewayConfiguration
    {
        let command = try GatewayCommand.parse(arguments)
        let parsed = try file.map {
            try AgentConfigurationFile.parse($0, file: "gateway.yaml", environment: environment)
        }
        return try command.gatewayConfiguration(environment: environment, file: parsed)
    }

    @Test("the file's section, its keys' secrets from the environment, and the options over it")
    func fileAndOptions() throws {
        let environment = ["TEAM_A_KEY": "sk-team-a", GatewayConfiguration.keysVariable: "sk-env-1"]
        let configuration = try Self.configuration(
            ["--request-timeout", "12"], file: Self.file, environment: environment)
        #expect(configuration.listenHost == "0.0.0.0" && configuration.listenPort == 9000)
        #expect(configuration.instanceID == "gateway-gw-a")
        #expect(configuration.kafka.bootstrapServers == "kafka-1:9092" && configuration.topicPrefix == "prod.")
        #expect(configuration.keys.map(\.name) == ["team-a", "ops", "key-1"])
        #expect(configuration.keys.map(\.secret) == ["sk-team-a", "sk-ops-in-file", "sk-env-1"])
        #expect(configuration.keys[0].allows("gpt-4o-mini") && !configuration.keys[0].allows("gpt-4o"))
        #expect(configuration.keys[1].allows("anything"))
        #expect(configuration.maxBodyBytes == 2048)
        #expect(configuration.requestTimeout == .seconds(12), "the option wins over the file")
        #expect(configuration.idleTimeout == .seconds(5))
        #expect(configuration.latency == .interactive)
    }

    @Test("a key whose variable is not set: the gateway refuses it, naming the variable; agents need not have it")
    func missingSecret() throws {
        let text = AgentConfigurationFileTests.errorText {
            _ = try Self.configuration([], file: Self.file, environment: [:])
        }
        #expect(text.contains("TEAM_A_KEY") && text.contains("team-a"), "\(text)")
        #expect(text.contains("gateway.keys[0]"), "\(text)")
        #expect(!text.contains("sk-ops-in-file"))
        // Agents and routers read the same file without the gateway's secrets.
        _ = try AgentConfigurationFile.parse(Self.file, file: "gateway.yaml", environment: [:])
    }

    @Test("no key and a non-loopback address: refused, naming the variable and the file's key")
    func openGatewayOnlyOnLoopback() {
        let text = AgentConfigurationFileTests.errorText {
            _ = try Self.configuration(["--listen", "0.0.0.0:8080"], file: nil, environment: [:])
        }
        #expect(text.contains(GatewayConfiguration.keysVariable) && text.contains("loopback"), "\(text)")
        #expect(throws: Never.self) {
            _ = try Self.configuration(["--listen", "127.0.0.1:8080"], file: nil, environment: [:])
        }
    }

    @Test(
        "bad values are refused when the command line is read, naming the option and the file's key",
        arguments: [
            (["--listen", "nowhere"], "--listen / gateway.listen"),
            (["--request-timeout", "0"], "--request-timeout / gateway.request_timeout_ms"),
            (["--idle-timeout=-1"], "--idle-timeout / gateway.idle_timeout_ms"),
            (["--max-body-bytes", "10"], "--max-body-bytes / gateway.max_body_bytes"),
            (["--latency-profile", "warp"], "--latency-profile / gateway.latency_profile"),
        ])
    func badValues(_ arguments: [String], _ named: String) {
        do {
            let command = try GatewayCommand.parse(arguments)
            Issue.record("expected an error for \(arguments), got \(command)")
        } catch {
            let message = GatewayCommand.fullMessage(for: error)
            #expect(message.hasPrefix("Error: \(named): "), "\(message)")
        }
    }

    @Test("an unknown key in the section is refused, naming the allowed ones")
    func unknownKey() {
        let text = AgentConfigurationFileTests.errorText {
            _ = try AgentConfigurationFile.parse(
                "gateway: { listen: 127.0.0.1:8080, port: 9 }", file: "gateway.yaml", environment: [:])
        }
        #expect(text.contains("port") && text.contains("listen"), "\(text)")
    }
}

@Suite("metrics_listen in the file: agents, router and gateway sections")
struct MetricsListenSettingTests {
    @Test("each section's metrics_listen is read; a value that is not host:port is refused naming the key")
    func sections() throws {
        let text = """
            agents:
              openai: { metrics_listen: "127.0.0.1:9464" }
            router: { metrics_listen: "127.0.0.1:9465" }
            gateway: { metrics_listen: "0.0.0.0:9466" }
            """
        let file = try AgentConfigurationFile.parse(text, file: "m.yaml", environment: [:])
        #expect(file.agents["openai"]?.metricsListen == "127.0.0.1:9464")
        #expect(file.router?.metricsListen == "127.0.0.1:9465")
        #expect(file.gateway?.metricsListen == "0.0.0.0:9466")
        let router = try RouterSettings.resolve(file: file, overrides: .init(), environment: [:])
        #expect(router.metricsListen == "127.0.0.1:9465")
        for (section, bad) in [
            ("router", "router: { metrics_listen: nowhere }"), ("gateway", "gateway: { metrics_listen: x:y }"),
        ] {
            let error = AgentConfigurationFileTests.errorText {
                _ = try AgentConfigurationFile.parse(bad, file: "m.yaml", environment: [:])
            }
            #expect(error.contains("\(section).metrics_listen"), "\(error)")
            #expect(error.contains("host:port"), "\(error)")
        }
    }
}
