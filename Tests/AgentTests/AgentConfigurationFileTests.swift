import AgentCore
import ArgumentParser
import Common
import Foundation
import ProviderAgentsCommands
import Testing

@testable import Agent

/// The agent's configuration file and command line (no broker).
@Suite("agent configuration file and options")
struct AgentConfigurationFileTests {
    /// The shape of docs/agent-core.md ("Configuration file"), every key set.
    static let fullExample = """
        kafka:
          bootstrap: broker-1:9092,broker-2:9092
          topic_prefix: "staging."
          properties: { "security.protocol": "plaintext", "linger.ms": 5, "enable.idempotence": true }
        agents:
          openai:
            instance_id: openai-a
            backend: test
            models: [gpt-4o, gpt-4o-mini]
            default_model: gpt-4o
            max_in_flight: 256
            max_concurrent_calls: 128
            max_message_bytes: 2097152
            session_timeout_ms: 7000
            status_interval_ms: 2500
            drain_timeout_ms: 15000
            ledger_window_ms: 120000
            ledger_max_entries: 5000
            latency_profile: efficient
            publish_timeout_ms: 20000
            rate_limit: { strategy: token_bucket, requests_per_window: 600, tokens_per_window: 90000, window_ms: 30000 }
            circuit_breaker: { consecutive_failures: 7, failure_rate_threshold: 0.5, minimum_requests: 20,
             rate_window_size: 50, open_timeout_ms: 15000, half_open_max_probes: 2, half_open_successes_to_close: 3,
             counted_failures: [upstream_5xx, timeout] }
            prices: { gpt-4o: { input_per_million: 2.5, output_per_million: 10 } }
            test: { latency: "uniform:10-50", server_error_rate: 0.1, timeout_rate: 0.05, rate_limited_rate: 0.02,
             seed: 7 }
          local:
            models: ["llama3.1:8b"]
        """

    static let repositoryRoot: URL = {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while url.path != "/", !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path)
        {
            url = url.deletingLastPathComponent()
        }
        return url
    }()

    static var shippedConfig: String { repositoryRoot.appendingPathComponent("config/provider-agents.yaml").path }

    static func temporaryFile(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "agent-config-\(UUID().uuidString).yaml"
        ).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func resolve(_ text: String, provider: String = "openai", overrides: AgentSettings.Overrides = .init())
        throws -> AgentSettings
    {
        let file = try AgentConfigurationFile.parse(text, file: "test.yaml", environment: [:])
        return try AgentSettings.resolve(
            provider: provider, file: file, overrides: overrides, environment: [:],
            defaultInstanceID: "default-instance")
    }

    /// The error `body` throws, as text (fails the test when it throws nothing).
    static func errorText(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        do {
            try body()
            Issue.record("expected an error", sourceLocation: sourceLocation)
            return ""
        } catch {
            return "\(error)"
        }
    }

    // MARK: Reading the file

    @Test func fullExampleMapsToTheAgentConfiguration() throws {
        let settings = try Self.resolve(Self.fullExample)
        let agent = settings.agent
        #expect(settings.backend == .test)
        #expect(settings.models == ["gpt-4o", "gpt-4o-mini"])
        #expect(agent.provider == "openai")
        #expect(agent.instanceID == "openai-a")
        #expect(agent.bootstrapServers == "broker-1:9092,broker-2:9092")
        #expect(agent.topicPrefix == "staging.")
        #expect(agent.requestTopic == "staging.llm.requests.openai")
        #expect(
            agent.kafkaProperties == ["security.protocol": "plaintext", "linger.ms": "5", "enable.idempotence": "true"])
        #expect(agent.models == ["gpt-4o", "gpt-4o-mini"])
        #expect(agent.defaultModel == "gpt-4o")
        #expect(agent.maxInFlight == 256)
        #expect(agent.maxConcurrentCalls == 128)
        #expect(agent.maxMessageBytes == 2_097_152)
        #expect(agent.sessionTimeout == .milliseconds(7000))
        #expect(agent.statusInterval == .milliseconds(2500))
        #expect(agent.drainTimeout == .milliseconds(15000))
        #expect(agent.ledgerWindow == .seconds(120) && agent.ledgerMaxEntries == 5000)
        #expect(agent.latency == .efficient && agent.publishTimeout == .seconds(20))
        #expect(agent.workerConfiguration.journal?.window == .seconds(120), "the window reaches the ledger")
        #expect(agent.workerConfiguration.journal?.maxEntriesPerPartition == 5000)
        #expect(agent.consumerConfiguration.fetchMaxWait == .milliseconds(10), "the profile reaches the consumer")
        #expect(agent.producerConfiguration.linger == .milliseconds(1), "and the producer")
        #expect(agent.workerConfiguration.publishTimeout == .seconds(20))
        #expect(
            agent.rateLimit
                == RateLimitPolicy(
                    strategy: .tokenBucket, requestsPerWindow: 600, tokensPerWindow: 90000, window: .milliseconds(30000)
                ))
        #expect(
            agent.breaker
                == CircuitBreakerPolicy(
                    consecutiveFailures: 7, failureRateThreshold: 0.5, minimumRequests: 20, rateWindowSize: 50,
                    openTimeout: .milliseconds(15000),
                    halfOpenMaxProbes: 2, halfOpenSuccessesToClose: 3,
                    countedFailures: [.upstreamServerError, .timeout]
                ))
        #expect(agent.prices == PriceTable(["gpt-4o": .init(inputPerMillion: 2.5, outputPerMillion: 10)]))

        let test = settings.test.providerConfiguration(name: "openai", models: settings.models)
        #expect(test.name == "openai")
        #expect(test.models.map(\.id) == ["gpt-4o", "gpt-4o-mini"])
        #expect(test.latency == .uniform(.milliseconds(10), .milliseconds(50)))
        #expect(test.failures == TestProvider.Failures(serverError: 0.1, timeout: 0.05, rateLimited: 0.02))
        #expect(test.seed == 7)
        #expect(settings.makeProvider().name == "openai")
    }

    @Test func keysLeftOutTakeTheirDefaults() throws {
        let settings = try Self.resolve(Self.fullExample, provider: "local")
        let agent = settings.agent
        #expect(agent.instanceID == "default-instance")
        #expect(agent.bootstrapServers == "broker-1:9092,broker-2:9092", "kafka: is shared by every agent")
        #expect(agent.models == ["llama3.1:8b"])
        #expect(agent.defaultModel == "llama3.1:8b", "default_model defaults to the first model")
        #expect(agent.maxInFlight == 512)
        #expect(agent.maxConcurrentCalls == 512)
        #expect(agent.maxMessageBytes == 1 << 20)
        #expect(agent.sessionTimeout == .seconds(10))
        #expect(agent.statusInterval == .seconds(5))
        #expect(agent.drainTimeout == .seconds(30))
        #expect(agent.rateLimit == RateLimitPolicy())
        #expect(agent.breaker == CircuitBreakerPolicy())
        #expect(agent.prices == PriceTable())
        #expect(settings.backend == .test)
        let test = settings.test.providerConfiguration(name: "local", models: settings.models)
        #expect(test.latency == .fixed(.zero))
        #expect(test.failures == TestProvider.Failures())
        #expect(test.seed == 42)
    }

    @Test func withoutAFileEverythingIsDefaultAndTheTestModel() throws {
        let settings = try AgentSettings.resolve(provider: "p1", file: nil, overrides: .init(), environment: [:])
        #expect(settings.models == ["test-model"])
        #expect(settings.agent.models == ["test-model"])
        #expect(settings.agent.defaultModel == "test-model")
        #expect(settings.agent.bootstrapServers == "127.0.0.1:9092")
        #expect(settings.agent.topicPrefix == "")
        #expect(
            settings.agent.instanceID.hasSuffix("-\(ProcessInfo.processInfo.processIdentifier)"),
            "hostname-pid: \(settings.agent.instanceID)")
        let fromEnvironment = try AgentSettings.resolve(
            provider: "p1", file: nil, overrides: .init(), environment: ["KAFKA_BOOTSTRAP": "env-host:9092"])
        #expect(fromEnvironment.agent.bootstrapServers == "env-host:9092")
    }

    @Test func theShippedConfigurationReadsAndDefinesTheThreeProviders() throws {
        let file = try AgentConfigurationFile.load(path: Self.shippedConfig, environment: [:])
        #expect(Set(file.agents.keys) == ["openai", "anthropic", "local"])
        for provider in ["openai", "anthropic", "local"] {
            let settings = try AgentSettings.resolve(
                provider: provider, file: file, overrides: .init(), environment: [:], defaultInstanceID: "x")
            #expect(settings.backend == .test)
            #expect(settings.agent.defaultModel.map(settings.agent.models.contains) == true)
            #expect(settings.agent.rateLimit.requestsPerWindow != nil, "\(provider) has a rate limit")
            #expect(
                settings.agent.drainTimeout + .seconds(10) <= .seconds(35),
                "fits docker-compose.yml's stop_grace_period")
        }
        // The anchor shared by the cloud agents is merged into each of them.
        let openai = try AgentSettings.resolve(
            provider: "openai", file: file, overrides: .init(), environment: [:], defaultInstanceID: "x")
        #expect(openai.agent.breaker.failureRateThreshold == 0.5)
        #expect(openai.agent.maxInFlight == 512)
        #expect(
            openai.agent.prices.price(for: "gpt-4o-2024-08-06") == .init(inputPerMillion: 2.5, outputPerMillion: 10))
        let local = try AgentSettings.resolve(
            provider: "local", file: file, overrides: .init(), environment: [:], defaultInstanceID: "x")
        #expect(local.agent.maxConcurrentCalls == 16)
        #expect(local.agent.rateLimit.strategy == .fixedWindow)
    }

    @Test func anchorsAndMergeKeysShareSettingsAndOwnKeysWin() throws {
        let text = """
            x-defaults: &defaults
              max_in_flight: 64
              rate_limit: { requests_per_window: 10 }
            agents:
              a:
                <<: *defaults
                max_in_flight: 32
              b:
                <<: *defaults
            """
        #expect(try Self.resolve(text, provider: "a").agent.maxInFlight == 32)
        #expect(try Self.resolve(text, provider: "b").agent.maxInFlight == 64)
        #expect(try Self.resolve(text, provider: "b").agent.rateLimit.requestsPerWindow == 10)
    }

    @Test func propertyValuesCanComeFromTheEnvironment() throws {
        let text = #"kafka: { properties: { sasl.password: "${PA_TEST_SASL}" } }"#
        let file = try AgentConfigurationFile.parse(text, file: "t.yaml", environment: ["PA_TEST_SASL": "s3cret"])
        #expect(file.kafka.properties["sasl.password"] == "s3cret")
        let message = Self.errorText { _ = try AgentConfigurationFile.parse(text, file: "t.yaml", environment: [:]) }
        #expect(
            message.contains(#"kafka.properties."sasl.password""#) && message.contains("PA_TEST_SASL is not set"),
            "\(message)")
    }

    @Test func aFileWithoutAgentsOnlySharesKafkaSettings() throws {
        let settings = try Self.resolve("kafka: { bootstrap: k:1 }", provider: "anything")
        #expect(settings.agent.bootstrapServers == "k:1")
        #expect(settings.models == ["test-model"])
    }

    // MARK: Bad files

    struct BadFile: Sendable, CustomTestStringConvertible {
        var yaml: String
        /// Must appear in the error (the key path, with the message).
        var expected: [String]
        var testDescription: String { expected.joined(separator: " / ") }
    }

    static let badFiles: [BadFile] = [
        BadFile(yaml: "kafak: {}", expected: ["test.yaml:1: kafak: unknown key"]),
        BadFile(
            yaml: "agents:\n  openai:\n    rate_limit:\n      windw_ms: 5",
            expected: ["test.yaml:4: agents.openai.rate_limit.windw_ms: unknown key", "window_ms"]),
        BadFile(
            yaml: "agents: { openai: { max_in_flight: \"many\" } }",
            expected: ["agents.openai.max_in_flight: expected an integer, got a string"]),
        BadFile(
            yaml: "agents: { openai: { max_in_flight: \"512\" } }",
            expected: ["agents.openai.max_in_flight: expected an integer"]),
        BadFile(yaml: "agents: { openai: { models: gpt-4o } }", expected: ["agents.openai.models: expected a list"]),
        BadFile(
            yaml: "agents: { openai: { models: [gpt-4o, gpt-4o] } }",
            expected: ["agents.openai.models[1]: model 'gpt-4o' is listed twice"]),
        BadFile(
            yaml: "agents: { openai: { models: [] } }", expected: ["agents.openai.models: must list at least one model"]
        ),
        BadFile(yaml: "agents: [openai]", expected: ["agents: expected a mapping, got a list"]),
        BadFile(yaml: "kafka: { bootstrap: [a, b] }", expected: ["kafka.bootstrap: expected a string, got a list"]),
        BadFile(
            yaml: "kafka: { topic_prefix: \"has space\" }", expected: ["kafka.topic_prefix:", "Kafka topic names"]),
        BadFile(
            yaml: "kafka: { properties: { linger.ms: [1] } }",
            expected: [#"kafka.properties."linger.ms": expected a value"#]),
        BadFile(
            yaml: "agents:\n  openai:\n    rate_limit: { window_ms: 0 }",
            expected: ["test.yaml:3: agents.openai.rate_limit.window_ms: must be >= 1, got 0"]),
        BadFile(
            yaml: "agents: { openai: { rate_limit: { strategy: leaky } } }",
            expected: ["agents.openai.rate_limit.strategy: unknown strategy 'leaky'", "sliding_window"]),
        BadFile(
            yaml: "agents: { openai: { rate_limit: { requests_per_window: 0 } } }",
            expected: ["agents.openai.rate_limit.requests_per_window: must be >= 1"]),
        BadFile(yaml: "agents: { OpenAI: {} }", expected: ["agents.OpenAI: 'OpenAI' is not a provider name"]),
        BadFile(yaml: "agents: { \"open ai\": {} }", expected: [#"agents."open ai": 'open ai' is not a provider"#]),
        BadFile(
            yaml: "agents: { openai: { backend: gemini } }",
            expected: [
                "agents.openai.backend: unknown backend 'gemini' (available: test, openai, anthropic, ollama, llamacpp)"
            ]),
        BadFile(
            yaml: "agents: { openai: { http: { base_url: \"ftp://x\" } } }",
            expected: ["agents.openai.http.base_url", "not an http(s) URL"]),
        BadFile(yaml: "agents: { openai: { http: { timeout: 5 } } }", expected: ["agents.openai.http", "timeout"]),
        BadFile(
            yaml: "agents: { openai: { test: { latency: \"gaussian:5\" } } }",
            expected: ["agents.openai.test.latency:", "unknown distribution 'gaussian'"]),
        BadFile(
            yaml: "agents: { openai: { test: { latency: \"uniform:50-10\" } } }",
            expected: ["agents.openai.test.latency:", "MIN must not exceed MAX"]),
        BadFile(
            yaml: "agents: { openai: { test: { latency: \"fixed:-3\" } } }",
            expected: ["agents.openai.test.latency:", "not a number of milliseconds"]),
        BadFile(
            yaml: "agents: { openai: { test: { server_error_rate: 1.5 } } }",
            expected: ["agents.openai.test.server_error_rate: must be between 0 and 1"]),
        BadFile(
            yaml: "agents: { openai: { test: { server_error_rate: 0.6, timeout_rate: 0.6 } } }",
            expected: ["agents.openai.test: server_error_rate + timeout_rate + rate_limited_rate must be <= 1"]),
        BadFile(
            yaml: "agents: { openai: { test: { seed: -1 } } }", expected: ["agents.openai.test.seed: must be >= 0"]),
        BadFile(
            yaml: "agents: { openai: { models: [a], default_model: b } }",
            expected: ["agents.openai.default_model: 'b' is not one of models"]),
        BadFile(
            yaml: "agents: { openai: { circuit_breaker: { failure_rate_threshold: 1.5 } } }",
            expected: ["agents.openai.circuit_breaker.failure_rate_threshold: must be > 0 and <= 1"]),
        BadFile(
            yaml: "agents: { openai: { circuit_breaker: { failure_rate_threshold: .nan } } }",
            expected: ["agents.openai.circuit_breaker.failure_rate_threshold: must be a finite number"]),
        BadFile(
            yaml: "agents: { openai: { circuit_breaker: { failure_rate_threshold: 0.5, minimum_requests: 60 } } }",
            expected: ["agents.openai.circuit_breaker.minimum_requests: must be <= rate_window_size (50)"]),
        BadFile(
            yaml: "agents: { openai: { circuit_breaker: { counted_failures: [upstream_5xx, gremlins] } } }",
            expected: ["agents.openai.circuit_breaker.counted_failures[1]: unknown failure kind 'gremlins'"]),
        BadFile(
            yaml: "agents: { openai: { prices: { gpt-4o: { input_per_million: 2.5 } } } }",
            expected: ["agents.openai.prices.gpt-4o.output_per_million: missing"]),
        BadFile(
            yaml: "agents: { openai: { prices: { gpt-4o: { input_per_million: -1, output_per_million: 1 } } } }",
            expected: ["agents.openai.prices.gpt-4o.input_per_million: must be >= 0"]),
        BadFile(
            yaml: "agents: { openai: { session_timeout_ms: true } }",
            expected: ["agents.openai.session_timeout_ms: expected an integer, got a boolean"]),
        BadFile(
            yaml: "agents: { openai: { drain_timeout_ms: -1 } }",
            expected: ["agents.openai.drain_timeout_ms: must be >= 0"]),
        BadFile(
            yaml: "agents: { openai: { latency_profile: turbo } }",
            expected: [
                """
                agents.openai.latency_profile: unknown latency profile 'turbo' (available: interactive, balanced, \
                efficient, batch)
                """
            ]),
        BadFile(
            yaml: "agents: { openai: { publish_timeout_ms: 0 } }",
            expected: ["agents.openai.publish_timeout_ms: must be >= 1, got 0"]),
        BadFile(
            yaml: "agents: { openai: { ledger_window_ms: 500 } }",
            expected: ["agents.openai.ledger_window_ms: must be >= 1000, got 500"]),
        BadFile(
            yaml: "agents: { openai: { ledger_max_entries: 0 } }",
            expected: ["agents.openai.ledger_max_entries: must be >= 1, got 0"]),
        BadFile(
            yaml: "agents: { openai: { instance_id: \"a b\" } }",
            expected: ["agents.openai.instance_id:", "may only contain"]),
        BadFile(
            yaml: "agents:\n  openai: {}\n  openai: {}",
            expected: ["test.yaml: not valid YAML", "duplicated key(s) 'openai'"]),
        BadFile(yaml: "agents: { openai: [", expected: ["test.yaml: not valid YAML"]),
        // resources: percentages in (0, 100], soft below max and only with it, refresh_ms >= 10.
        BadFile(
            yaml: "agents: { local: { resources: { max_memory_percent: 0 } } }",
            expected: ["agents.local.resources.max_memory_percent: must be > 0 and <= 100 (percent), got 0"]),
        BadFile(
            yaml: "agents: { local: { resources: { max_cpu_percent: 150 } } }",
            expected: ["agents.local.resources.max_cpu_percent: must be > 0 and <= 100"]),
        BadFile(
            yaml: "agents: { local: { resources: { max_gpu_memory_percent: \"90\" } } }",
            expected: ["agents.local.resources.max_gpu_memory_percent: expected a number"]),
        BadFile(
            yaml: "agents: { local: { resources: { soft_cpu_percent: 50 } } }",
            expected: ["agents.local.resources.soft_cpu_percent: needs max_cpu_percent"]),
        BadFile(
            yaml: "agents: { local: { resources: { soft_memory_percent: 90, max_memory_percent: 80 } } }",
            expected: [
                """
                agents.local.resources.soft_memory_percent: must be below max_memory_percent (80.0), got 90.0
                """
            ]),
        BadFile(
            yaml: "agents: { local: { resources: { refresh_ms: 5 } } }",
            expected: ["agents.local.resources.refresh_ms: must be >= 10, got 5"]),
        BadFile(
            yaml: "agents: { local: { resources: { max_vram_percent: 5 } } }",
            expected: ["agents.local.resources.max_vram_percent: unknown key", "max_gpu_memory_percent"]),
    ]

    @Test(arguments: badFiles)
    func badInputNamesTheKey(_ bad: BadFile) {
        let message = Self.errorText { _ = try Self.resolve(bad.yaml) }
        for expected in bad.expected {
            #expect(message.contains(expected), "error: \(message)")
        }
    }

    @Test func resourcesSectionMapsToThePolicy() throws {
        let settings = try Self.resolve(
            """
            agents:
              local:
                backend: ollama
                resources: { refresh_ms: 500, max_cpu_percent: 95, soft_cpu_percent: 70, max_memory_percent: 90.5,
                 max_gpu_memory_percent: 97 }
            """, provider: "local")
        let policy = settings.agent.resources
        #expect(policy.refreshInterval == .milliseconds(500))
        #expect(policy.maxCPUPercent == 95 && policy.softCPUPercent == 70)
        #expect(policy.maxMemoryPercent == 90.5 && policy.softMemoryPercent == nil)
        #expect(policy.maxGPUMemoryPercent == 97 && policy.softGPUMemoryPercent == nil)
        #expect(settings.loggingMetadata["agent.resources.max_memory_percent"] == "90.5")
        #expect(settings.loggingMetadata["agent.resources.soft_cpu_percent"] == "70.0")
        let defaults = try Self.resolve("agents: { local: { backend: ollama } }", provider: "local").agent.resources
        #expect(defaults == ResourcePolicy() && defaults.refreshInterval == .seconds(2) && !defaults.constrains)
    }

    @Test func theLlamaCppBackendNeedsNoKeyAndDefaultsToPort8080() throws {
        let settings = try Self.resolve(
            "agents: { local: { backend: llamacpp, models: [qwen2.5-7b-instruct] } }", provider: "local")
        #expect(settings.backend == .llamacpp)
        #expect(settings.loggingMetadata["http.base_url"] == "http://127.0.0.1:8080")
        #expect(settings.loggingMetadata["http.api_key"] == "absent")
        let provider = settings.makeProvider()
        #expect(String(describing: type(of: provider)) == "LlamaCppProvider")
        #expect(provider.name == "local" && provider.supportedFeatures.contains(.tools))
        #expect(try Self.command(["--provider", "local", "--backend", "llamacpp"]).overrides().backend == .llamacpp)
    }

    @Test func aMissingFileIsAnErrorNamingThePath() {
        let path = "/nonexistent-\(UUID().uuidString)/agents.yaml"
        let message = Self.errorText { _ = try AgentConfigurationFile.load(path: path) }
        #expect(message.contains(path) && message.contains("not found"), "\(message)")
        let directory = Self.errorText { _ = try AgentConfigurationFile.load(path: NSTemporaryDirectory()) }
        #expect(directory.contains("is a directory"), "\(directory)")
    }

    @Test func aFileThatDefinesAgentsMustDefineTheOneStarted() {
        let message = Self.errorText { _ = try Self.resolve(Self.fullExample, provider: "mistral") }
        #expect(
            message.contains("agents.mistral: no entry for provider 'mistral' (the file defines: local, openai)"),
            "\(message)")
    }

    // MARK: The command line

    static func command(_ arguments: [String]) throws -> AgentCommand {
        let parsed = try ProviderAgentsCommand.parseAsRoot(["agent"] + arguments)
        return try #require(parsed as? AgentCommand, "parsed \(type(of: parsed))")
    }

    static func commandError(_ arguments: [String]) -> String {
        do {
            _ = try ProviderAgentsCommand.parseAsRoot(["agent"] + arguments)
            Issue.record("\(arguments) parsed")
            return ""
        } catch {
            return ProviderAgentsCommand.message(for: error)
        }
    }

    @Test func commandLineOptionsOverrideTheFile() throws {
        let path = try Self.temporaryFile(Self.fullExample)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let command = try Self.command([
            "--provider", "openai", "--config", path, "--bootstrap", "cli-host:9092", "--instance-id", "cli-1",
            "--topic-prefix", "cli.", "-X", "linger.ms=1", "-X", "client.rack=r1", "--backend", "test",
            "--test-latency", "exponential:20", "--test-server-error-rate", "0.2", "--test-seed", "99",
        ])
        let settings = try command.settings(environment: ["KAFKA_BOOTSTRAP": "env-host:1"])
        #expect(settings.agent.bootstrapServers == "cli-host:9092")
        #expect(settings.agent.instanceID == "cli-1")
        #expect(settings.agent.topicPrefix == "cli.")
        #expect(
            settings.agent.kafkaProperties == [
                "security.protocol": "plaintext", "linger.ms": "1", "enable.idempotence": "true", "client.rack": "r1",
            ])
        let test = settings.test.providerConfiguration(name: "openai", models: settings.models)
        #expect(test.latency == .exponential(mean: .milliseconds(20)))
        #expect(test.failures.serverError == 0.2)
        #expect(test.failures.timeout == 0.05, "not overridden: from the file")
        #expect(test.seed == 99)
        // Untouched by options: from the file.
        #expect(settings.agent.maxInFlight == 256)
        #expect(settings.agent.rateLimit.strategy == .tokenBucket)
        #expect(settings.configFile == path)

        // $KAFKA_BOOTSTRAP wins over the file (option → environment → file → default); fixed
        // latency in milliseconds.
        let environmentBootstrap = try Self.command(
            ["--provider", "openai", "--config", path, "--test-latency-ms", "12.5"]
        ).settings(environment: ["KAFKA_BOOTSTRAP": "env-host:1"])
        #expect(environmentBootstrap.agent.bootstrapServers == "env-host:1")
        #expect(environmentBootstrap.test.latency == .fixed(.microseconds(12_500)))
        let fileBootstrap = try Self.command(["--provider", "openai", "--config", path])
            .settings(environment: ["KAFKA_BOOTSTRAP": ""])
        #expect(fileBootstrap.agent.bootstrapServers == "broker-1:9092,broker-2:9092", "an empty variable is not set")
    }

    @Test func optionsCombinedWithTheFileAreCheckedTogether() throws {
        let path = try Self.temporaryFile(Self.fullExample)
        defer { try? FileManager.default.removeItem(atPath: path) }
        // The file's timeout (0.05) and rate-limited (0.02) rates plus 0.95 exceed 1.
        let command = try Self.command(["--provider", "openai", "--config", path, "--test-server-error-rate", "0.95"])
        let message = Self.errorText { _ = try command.settings(environment: [:]) }
        let expected =
            "--test-server-error-rate: "
            + "server_error_rate + timeout_rate + rate_limited_rate must be <= 1, got 1.02"
        #expect(message == expected)
        // A missing file is found when the agent starts (not while parsing, so compose files check anywhere).
        let missing = try Self.command(["--provider", "openai", "--config", "/nonexistent/agents.yaml"])
        let missingMessage = Self.errorText { _ = try missing.settings(environment: [:]) }
        #expect(
            missingMessage.contains("/nonexistent/agents.yaml") && missingMessage.contains("not found"),
            "\(missingMessage)")
    }

    @Test(arguments: [
        (["--provider", "OpenAI"], "--provider"),
        (["--provider", "open.ai"], "--provider"),
        (["--provider", ""], "--provider"),
        ([String](), "--provider"),
        (["--provider", "p", "--test-latency", "bogus:1"], "--test-latency"),
        (["--provider", "p", "--test-latency", "uniform:5"], "--test-latency"),
        (["--provider", "p", "--test-latency", "fixed:1", "--test-latency-ms", "1"], "--test-latency-ms"),
        (["--provider", "p", "--test-latency-ms", "-1"], "--test-latency-ms"),
        (["--provider", "p", "--test-server-error-rate", "1.5"], "--test-server-error-rate"),
        (["--provider", "p", "--test-timeout-rate", "-0.1"], "--test-timeout-rate"),
        (["--provider", "p", "--test-rate-limited-rate", "2"], "--test-rate-limited-rate"),
        (["--provider", "p", "--test-seed", "-4"], "--test-seed"),
        (["--provider", "p", "--backend", "gemini"], "--backend"),
        (["--provider", "p", "--backend", "openai", "--base-url", "not a url"], "--base-url"),
        (["--provider", "p", "--topic-prefix", "a b"], "--topic-prefix"),
        (["--provider", "p", "--instance-id", "a/b"], "--instance-id"),
        (["--provider", "p", "-X", "novalue"], "-X"),
        (["--provider", "p", "--bootstrap", ""], "--bootstrap"),
        (["--provider", "p", "--log-level", "loud"], "--log-level"),
    ])
    func badOptionsNameTheOption(_ arguments: [String], _ option: String) {
        let message = Self.commandError(arguments)
        #expect(message.contains(option), "\(arguments): \(message)")
    }

    @Test func theComposeCommandLinesParse() throws {
        let command = try Self.command([
            "--provider", "openai", "--bootstrap", "kafka:9092", "--config", "/app/config/provider-agents.yaml",
            "--log-level", "info",
        ])
        #expect(try command.overrides().bootstrap == "kafka:9092")
    }

    // MARK: Logging

    @Test func loggedConfigurationMasksSecrets() throws {
        let overrides = AgentSettings.Overrides(kafkaProperties: [
            "sasl.password": "hunter2", "ssl.key.password": "pem-pass",
            "sasl.oauthbearer.client.secret": "oauth-client-value",
            "sasl.oauthbearer.config": "principal=x secret=y", "security.protocol": "sasl_ssl",
            "sasl.username": "agents",
        ])
        let settings = try AgentSettings.resolve(
            provider: "p", file: nil, overrides: overrides, environment: [:], defaultInstanceID: "i")
        let metadata = settings.loggingMetadata
        let rendered = metadata.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        for secret in ["hunter2", "pem-pass", "oauth-client-value", "secret=y"] {
            #expect(!rendered.contains(secret), "\(secret) leaked: \(rendered)")
        }
        #expect(rendered.contains("sasl_ssl") && rendered.contains("agents"), "non-secret properties are shown")
        #expect(metadata["agent.rate_limit.window_ms"] == "60000")
        #expect(metadata["test.latency"] == "fixed:0")
        #expect(AgentSettings.isSecretProperty("SASL.PASSWORD"))
        #expect(!AgentSettings.isSecretProperty("bootstrap.servers"))
    }
}
