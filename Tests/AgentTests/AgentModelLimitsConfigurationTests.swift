import AgentCore
import ProviderAgentsCommands
import Testing

@Suite("Configuration: model_limits")
struct AgentModelLimitsConfigurationTests {
    static func resolve(_ yaml: String, provider: String = "openai") throws -> AgentSettings {
        try AgentConfigurationFileTests.resolve(yaml, provider: provider)
    }

    @Test("HTTP backends start from their family defaults; the test backend has none")
    func defaults() throws {
        let openai = try Self.resolve("agents: { openai: { backend: openai, models: [gpt-4o] } }")
        #expect(openai.agent.modelTiers == .openAIDefaults)
        let anthropic = try Self.resolve("agents: { anthropic: { backend: anthropic, models: [claude-sonnet-4] } }", provider: "anthropic")
        #expect(anthropic.agent.modelTiers == .anthropicDefaults)
        let test = try Self.resolve("agents: { openai: { backend: test } }")
        #expect(test.agent.modelTiers == .none)
    }

    @Test("a mapping is laid over the defaults; 'none' removes every per-model limit")
    func overrides() throws {
        let settings = try Self.resolve("""
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

    @Test(arguments: [
        ("agents: { openai: { model_limits: some } }", "agents.openai.model_limits: must be 'none' or a mapping"),
        ("agents: { openai: { model_limits: { gpt-4o: {} } } }", "agents.openai.model_limits.gpt-4o: needs requests_per_minute or tokens_per_minute"),
        ("agents: { openai: { model_limits: { gpt-4o: { rpm: 5 } } } }", "agents.openai.model_limits.gpt-4o.rpm: unknown key"),
        ("agents: { openai: { model_limits: { gpt-4o: { requests_per_minute: 0 } } } }", "agents.openai.model_limits.gpt-4o.requests_per_minute: must be >= 1"),
        ("agents: { openai: { model_limits: [gpt-4o] } }", "agents.openai.model_limits: expected a mapping"),
    ])
    func badInput(_ yaml: String, _ expected: String) {
        let message = AgentConfigurationFileTests.errorText { _ = try Self.resolve(yaml) }
        #expect(message.contains(expected), "error: \(message)")
    }
}
