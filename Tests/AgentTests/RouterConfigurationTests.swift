import ArgumentParser
import Foundation
import ProviderAgentsCommands
import Router
import Testing

@testable import RouterAgent

/// The router's section of the configuration file and its command line (no broker).
@Suite("router configuration file and options")
struct RouterConfigurationTests {
    static func parse(_ text: String) throws(AgentConfigurationError) -> AgentConfigurationFile {
        try AgentConfigurationFile.parse(text, file: "test.yaml", environment: [:])
    }

    static func resolve(_ text: String, overrides: RouterSettings.Overrides = .init()) throws(AgentConfigurationError)
        -> RouterSettings
    {
        try RouterSettings.resolve(
            file: try parse(text), overrides: overrides, environment: [:], defaultInstanceID: "host-1")
    }

    @Test(
        """
        the repository's config/provider-agents.yaml gives the routers their strategy, model map, capabilities, \
        prices and attempts
        """
    )
    func repositoryFile() throws {
        let path = AgentConfigurationFileTests.repositoryRoot.appendingPathComponent("config/provider-agents.yaml").path
        let file = try AgentConfigurationFile.load(path: path, environment: [:])
        let settings = try RouterSettings.resolve(
            file: file, overrides: .init(), environment: [:], defaultInstanceID: "host-1")
        let router = settings.router
        #expect(router.instanceID == "host-1")
        #expect(router.routing.strategy == .leastLoaded)
        #expect(
            router.routing.mappedTargets(for: "chat")?.map(\.description) == [
                "openai/gpt-4o-mini", "anthropic/claude-haiku-4-5", "local/llama3.1:8b",
            ])
        #expect(router.routing.mappedProviders(for: "claude-sonnet-4-5") == ["anthropic"])
        #expect(router.routing.knownProviders == ["openai", "anthropic", "local"])
        #expect(router.routing.providerModels["openai"] == ["gpt-4o", "gpt-4o-mini"])
        #expect(router.routing.prices["anthropic"]?.price(for: "claude-haiku-4-5") != nil)
        #expect(router.routing.capabilities["local"]?.vision == false)
        #expect(router.routing.capabilities["anthropic"]?.maxContextTokens == 200_000)
        #expect(router.reroute.maxAttempts == 3)
        #expect(router.reroute.totalDeadline == .seconds(300))
        #expect(router.reroute.contextFallbacks["gpt-4o-mini"] == "claude-sonnet-4-5")
        #expect(router.groupID == "llm-router")
    }

    @Test("every key is read; the command line wins over the file")
    func everyKey() throws {
        let text = """
            kafka: { bootstrap: "b:9092", topic_prefix: "staging." }
            agents:
              openai: { models: [gpt-4o] }
            router:
              instance_id: r-7
              strategy: weighted
              model_map: { fast: [openai] }
              providers: { openai: { vision: true, tools: false, streaming: true, max_context_tokens: 1000,
               models: [gpt-x] } }
              weights: { openai: 3 }
              default_weight: 0.5
              assumed_completion_tokens: 100
              max_attempts: 5
              total_deadline_ms: 60000
              backoff_base_ms: 10
              backoff_max_ms: 2000
              context_fallbacks: { gpt-4o: gpt-x }
              stale_after_missed_intervals: 4
              forget_after_ms: 120000
              max_in_flight: 99
              max_message_bytes: 2048
              session_timeout_ms: 7000
              drain_timeout_ms: 3000
              latency_profile: interactive
              publish_timeout_ms: 9000
              short_wait_limit_ms: 250
              journal_window_ms: 120000
            """
        let router = try Self.resolve(text).router
        #expect(router.instanceID == "r-7" && router.bootstrapServers == "b:9092" && router.topicPrefix == "staging.")
        #expect(router.routerRequestTopic == "staging.llm.router.requests")
        #expect(router.groupID == "staging.llm-router", "environments sharing a cluster never share a group")
        #expect(
            router.routing.strategy == .weighted && router.routing.weights == ["openai": 3]
                && router.routing.defaultWeight == 0.5)
        #expect(router.routing.assumedCompletionTokens == 100)
        #expect(
            router.routing.capabilities["openai"]
                == ProviderCapabilities(
                    vision: true, tools: false, streaming: true, maxContextTokens: 1000, models: ["gpt-x"]))
        #expect(
            router.reroute
                == RerouteSettings(
                    maxAttempts: 5, totalDeadline: .seconds(60), backoffBase: .milliseconds(10),
                    backoffMax: .seconds(2), contextFallbacks: ["gpt-4o": "gpt-x"]))
        #expect(
            router.staleAfterMissedIntervals == 4 && router.forgetAfter == .seconds(120) && router.maxInFlight == 99)
        #expect(
            router.maxMessageBytes == 2048 && router.sessionTimeout == .seconds(7) && router.drainTimeout == .seconds(3)
        )
        #expect(router.latency == .interactive && router.publishTimeout == .seconds(9))
        #expect(router.shortWaitLimit == .milliseconds(250) && router.journalWindow == .seconds(120))
        #expect(router.workerConfiguration.journal?.window == .seconds(120), "the window reaches the router's journal")
        let overridden = try Self.resolve(
            text, overrides: .init(bootstrap: "c:1", topicPrefix: "", instanceID: "cli", strategy: .priority)
        ).router
        #expect(overridden.bootstrapServers == "c:1" && overridden.topicPrefix == "" && overridden.instanceID == "cli")
        #expect(overridden.routing.strategy == .priority)
    }

    @Test(
        "bad router settings are refused naming the key",
        arguments: [
            ("router: { stratgy: weighted }", "router.stratgy", "unknown key"),
            ("router: { strategy: fastest }", "router.strategy", "unknown strategy 'fastest'"),
            ("router: { max_attempts: 0 }", "router.max_attempts", ">= 1"),
            ("router: { model_map: { chat: [\"Open AI/x\"] } }", "router.model_map.chat[0]", "provider name"),
            ("router: { model_map: { chat: [] } }", "router.model_map.chat", "at least one"),
            (
                "agents: { openai: {} }\nrouter: { model_map: { chat: [gemini] } }", "router.model_map.chat[0]",
                "'gemini'"
            ),
            ("router: { backoff_base_ms: 500, backoff_max_ms: 100 }", "router.backoff_max_ms", "backoff_base_ms"),
            ("router: { context_fallbacks: { a: a } }", "router.context_fallbacks.a", "another model"),
            ("router: { weights: { openai: -1 } }", "router.weights.openai", ">= 0"),
            (
                "router: { providers: { openai: { vision: yes-please } } }", "router.providers.openai.vision",
                "true or false"
            ),
            (
                "router: { latency_profile: fast }", "router.latency_profile",
                "unknown latency profile 'fast' (available: interactive, balanced, efficient, batch)"
            ),
            ("router: { publish_timeout_ms: 0 }", "router.publish_timeout_ms", "must be >= 1, got 0"),
            ("router: { short_wait_limit_ms: -5 }", "router.short_wait_limit_ms", "must be >= 0, got -5"),
            ("router: { journal_window_ms: 10 }", "router.journal_window_ms", "must be >= 1000, got 10"),
        ])
    func badSettings(text: String, key: String, message: String) {
        do {
            _ = try Self.resolve(text)
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.key == key, "\(error)")
            #expect(error.message.contains(message), "\(error)")
        }
    }

    @Test("the router command line: a bad strategy or instance id is refused before anything starts")
    func commandLine() throws {
        #expect(throws: (any Error).self) {
            try ProviderAgentsCommand.parseAsRoot(["router", "--strategy", "fastest"])
        }
        #expect(throws: (any Error).self) { try ProviderAgentsCommand.parseAsRoot(["router", "--instance-id", "a b"]) }
        let parsed = try ProviderAgentsCommand.parseAsRoot([
            "router", "--strategy", "lowest_cost", "--bootstrap", "h:1",
        ])
        let command = try #require(parsed as? RouterCommand)
        #expect(try command.settings(environment: [:]).router.routing.strategy == .lowestCost)
    }
}
