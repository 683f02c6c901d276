import AgentCore
import ProviderAgentsCommands
import Providers
import Testing

@Suite("Configuration: model_limits and the HTTP client")
struct AgentHTTPConfigurationTests {
    static func resolve(_ yaml: String, provider: String = "openai") throws -> AgentSettings {
        try AgentConfigurationFileTests.resolve(yaml, provider: provider)
    }

    @Test("HTTP backends start from their family defaults; the test backend has none")
    func defaults() throws {
        let openai = try Self.resolve("agents: { openai: { backend: openai, models: [gpt-4o] } }")
        #expect(openai.agent.modelTiers == .openAIDefaults)
        let anthropic = try Self.resolve(
            "agents: { anthropic: { backend: anthropic, models: [claude-sonnet-4] } }", provider: "anthropic")
        #expect(anthropic.agent.modelTiers == .anthropicDefaults)
        let test = try Self.resolve("agents: { openai: { backend: test } }")
        #expect(test.agent.modelTiers == .none)
    }

    @Test("a mapping is laid over the defaults; 'none' removes every per-model limit")
    func overrides() throws {
        let settings = try Self.resolve(
            """
            agents:
              openai:
                backend: openai
                model_limits:
                  gpt-4o: { requests_per_minute: 10000, tokens_per_minute: 2000000 }
                  my-finetune: { requests_per_minute: 60 }
            """)
        let tiers = settings.agent.modelTiers
        #expect(tiers.policy(for: "gpt-4o")?.requestsPerWindow == 10_000)
        #expect(tiers.policy(for: "gpt-4o")?.tokensPerWindow == 2_000_000)
        #expect(tiers.policy(for: "gpt-4o")?.window == .seconds(60))
        #expect(tiers.policy(for: "my-finetune")?.tokensPerWindow == nil)
        #expect(tiers.policy(for: "gpt-4o-mini")?.tokensPerWindow == 200_000)
        let none = try Self.resolve("agents: { openai: { backend: openai, model_limits: none } }")
        #expect(none.agent.modelTiers == .none)
    }

    @Test("http: client keys set the process's HTTP client (timeouts, pool, TLS); defaults otherwise")
    func clientSettings() throws {
        let defaults = try Self.resolve("agents: { openai: { backend: openai } }")
        #expect(defaults.http.client == HTTPClientSettings())
        #expect(defaults.http.client.maxConnectionsPerHost == 1_024)
        let settings = try Self.resolve(
            """
            agents:
              openai:
                backend: openai
                http: { connect_timeout_ms: 2500, read_timeout_ms: 30000, max_connections: 64, idle_timeout_ms: 5000,
                 ca_file: /etc/hostname, verify_certificates: false }
            """)
        let client = settings.http.client
        #expect(client.connectTimeout == .milliseconds(2500))
        #expect(client.readTimeout == .seconds(30))
        #expect(client.maxConnectionsPerHost == 64)
        #expect(client.idleTimeout == .seconds(5))
        #expect(client.caFile == "/etc/hostname")
        #expect(!client.verifyCertificates)
        // The client really is made from them (TLS trust roots read, pool configured).
        try client.makeClient().syncShutdown()
    }

    @Test(arguments: [
        ("agents: { openai: { http: { max_connections: 0 } } }", "agents.openai.http.max_connections: must be >= 1"),
        (
            "agents: { openai: { http: { ca_file: /nonexistent/ca.pem } } }",
            "agents.openai.http.ca_file: '/nonexistent/ca.pem' is not a readable file"
        ),
        (
            "agents: { openai: { http: { verify_certificates: maybe } } }",
            "agents.openai.http.verify_certificates: expected true or false"
        ),
        ("agents: { openai: { model_limits: some } }", "agents.openai.model_limits: must be 'none' or a mapping"),
        (
            "agents: { openai: { model_limits: { gpt-4o: {} } } }",
            "agents.openai.model_limits.gpt-4o: needs requests_per_minute or tokens_per_minute"
        ),
        (
            "agents: { openai: { model_limits: { gpt-4o: { rpm: 5 } } } }",
            "agents.openai.model_limits.gpt-4o.rpm: unknown key"
        ),
        (
            "agents: { openai: { model_limits: { gpt-4o: { requests_per_minute: 0 } } } }",
            "agents.openai.model_limits.gpt-4o.requests_per_minute: must be >= 1"
        ),
        ("agents: { openai: { model_limits: [gpt-4o] } }", "agents.openai.model_limits: expected a mapping"),
    ])
    func badInput(_ yaml: String, _ expected: String) {
        let message = AgentConfigurationFileTests.errorText { _ = try Self.resolve(yaml) }
        #expect(message.contains(expected), "error: \(message)")
    }
}
