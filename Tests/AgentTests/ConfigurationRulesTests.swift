import AgentCore
import ArgumentParser
import Foundation
import ProviderAgentsCommands
import Signals
import Testing

@testable import Agent

/// One set of rules for every entry point: the same bad value is refused with the same words by
/// the configuration file, by a command-line option (`--set`) and by a `configure_provider` the
/// agent applies; each adds only where the value came from (`file:line: agents.<p>.` / `--set` /
/// `data.`).
@Suite("configuration rules: file, option and configure_provider agree")
struct ConfigurationRulesTests {
    struct Case: Sendable, CustomTestStringConvertible {
        /// The field, as the rules name it.
        var field: String
        /// The expected words (after the field).
        var message: String
        /// Lines of the provider's entry in the file.
        var file: [String]
        /// `--set` arguments.
        var options: [String]
        /// The `data` of a `configure_provider`.
        var signal: String
        var testDescription: String { field }
    }

    static let cases: [Case] = [
        Case(
            field: "circuit_breaker.minimum_requests",
            message: "must be <= rate_window_size (50), got 60: the failure rate rule could never open the circuit",
            file: ["circuit_breaker: { failure_rate_threshold: 0.5, minimum_requests: 60 }"],
            options: ["circuit_breaker={failure_rate_threshold: 0.5, minimum_requests: 60}"],
            signal: #"{"circuit_breaker":{"failure_rate_threshold":0.5,"minimum_requests":60}}"#
        ),
        Case(
            field: "rate_limit.window_ms", message: "must be >= 1, got 0",
            file: ["rate_limit: { strategy: fixed_window, window_ms: 0 }"],
            options: ["rate_limit.window_ms=0"],
            signal: #"{"rate_limit":{"strategy":"fixed_window","window_ms":0}}"#
        ),
        Case(
            field: "rate_limit.batch_reserve", message: "must be >= 0 and < 1, got 1.5",
            file: ["rate_limit: { strategy: fixed_window, window_ms: 1000, batch_reserve: 1.5 }"],
            options: ["rate_limit.batch_reserve=1.5"],
            signal: #"{"rate_limit":{"strategy":"fixed_window","window_ms":1000,"batch_reserve":1.5}}"#
        ),
        Case(
            field: "rate_limit.strategy",
            message: "unknown strategy 'leaky_bucket' (available: fixed_window, sliding_window, token_bucket)",
            file: ["rate_limit: { strategy: leaky_bucket, window_ms: 1000 }"],
            options: ["rate_limit.strategy=leaky_bucket"],
            signal: #"{"rate_limit":{"strategy":"leaky_bucket","window_ms":1000}}"#
        ),
        Case(
            field: "prices.gpt-4o.input_per_million", message: "must be >= 0, got -2.5",
            file: ["prices: { gpt-4o: { input_per_million: -2.5, output_per_million: 10 } }"],
            options: ["prices.gpt-4o={input_per_million: -2.5, output_per_million: 10}"],
            signal: #"{"prices":{"gpt-4o":{"input_per_million":-2.5,"output_per_million":10}}}"#
        ),
        Case(
            field: "default_model", message: "'b' is not one of models (a)",
            file: ["models: [a]", "default_model: b"],
            options: ["models=[a]", "default_model=b"],
            signal: #"{"models":["a"],"default_model":"b"}"#
        ),
        Case(
            field: "max_concurrent_calls", message: "must be >= 1, got 0",
            file: ["max_concurrent_calls: 0"], options: ["max_concurrent_calls=0"],
            signal: #"{"max_concurrent_calls":0}"#
        ),
        Case(
            field: "circuit_breaker.counted_failures[0]",
            message: "unknown failure kind 'gremlins' (available: upstream_5xx, timeout, connection, rate_limited, "
                + "invalid_request, authentication, other)",
            file: ["circuit_breaker: { counted_failures: [gremlins] }"],
            options: ["circuit_breaker.counted_failures=[gremlins]"],
            signal: #"{"circuit_breaker":{"counted_failures":["gremlins"]}}"#
        ),
        Case(
            field: "models", message: "must list at least one model",
            file: ["models: []"], options: ["models=[]"], signal: #"{"models":[]}"#
        ),
    ]

    /// What `body` throws (a failed expectation when it throws nothing or something else).
    static func configurationError(
        sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
    ) -> AgentConfigurationError? {
        do {
            try body()
            Issue.record("accepted", sourceLocation: sourceLocation)
        } catch let error as AgentConfigurationError {
            return error
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
        return nil
    }

    @Test("the same bad value: the same words from the file, --set and configure_provider", arguments: cases)
    func sameWords(_ bad: Case) throws {
        // The file: path, line and the key path under agents.openai.
        let yaml = (["agents:", "  openai:"] + bad.file.map { "    " + $0 }).joined(separator: "\n")
        let fromFile = try #require(
            Self.configurationError {
                _ = try AgentConfigurationFile.parse(yaml, file: "agents.yaml", environment: [:])
            })
        #expect(fromFile.file == "agents.yaml")
        #expect(fromFile.line != nil)
        #expect(fromFile.key == "agents.openai." + bad.field)
        #expect(fromFile.message == bad.message)

        // An option: the key path after --set.
        let arguments = ["agent", "--provider", "openai"] + bad.options.flatMap { ["--set", $0] }
        let command = try #require(try ProviderAgentsCommand.parseAsRoot(arguments) as? AgentCommand)
        let fromOption = try #require(Self.configurationError { _ = try command.settings(environment: [:]) })
        #expect(fromOption.file == nil)
        #expect(fromOption.key == "--set " + bad.field)
        #expect(fromOption.message == bad.message)

        // configure_provider: refused by the agent, nothing applied, the field under data.
        let envelope = try SignalEnvelope.decode(Array(#"{"type":"configure_provider","data":\#(bad.signal)}"#.utf8))
        guard case .configureProvider(let change) = envelope.signal else {
            Issue.record("decoded as \(envelope.type)")
            return
        }
        let handler = AgentHandler(
            configuration: ProviderAgentConfiguration(
                provider: "openai", instanceID: "i1", bootstrapServers: "unused:9092", models: ["gpt-4o"],
                defaultModel: "gpt-4o"
            ),
            provider: TestProvider(), logger: .init(label: "test")
        )
        let answer = handler.apply(change)
        #expect(answer.error == "data.\(bad.field): \(bad.message)")
        #expect(answer.applied.isEmpty)
        #expect(answer.version == 0)
        #expect(handler.status.models == ["gpt-4o"], "nothing applied")
        #expect(handler.status.configVersion == 0)
    }

    @Test("a value the file or an option sets names where it came from; options win over the file")
    func whereTheValueCameFrom() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rules-\(UUID().uuidString).yaml").path
        try """
        agents:
          openai:
            models: [gpt-4o, gpt-4o-mini]
            rate_limit: { strategy: token_bucket, requests_per_window: 60, window_ms: 60000 }
        """.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        func command(_ arguments: [String]) throws -> AgentCommand {
            let base = ["agent", "--provider", "openai", "--config", path]
            let parsed = try ProviderAgentsCommand.parseAsRoot(base + arguments)
            return try #require(parsed as? AgentCommand)
        }
        // --set lays single keys over the file's section; the file's other keys stay.
        let settings = try command(["--set", "rate_limit.window_ms=1000", "--set", "default_model=gpt-4o-mini"])
            .settings(environment: [:])
        let limit = RateLimitPolicy(strategy: .tokenBucket, requestsPerWindow: 60, window: .seconds(1))
        #expect(settings.agent.rateLimit == limit)
        #expect(settings.agent.defaultModel == "gpt-4o-mini")
        // An option's value: the error names the option.
        let fromOption = try #require(
            Self.configurationError {
                _ = try command(["--set", "rate_limit.strategy=fixed_window", "--set", "default_model=gpt-5"])
                    .settings(environment: [:])
            })
        #expect(fromOption.description == "--set default_model: 'gpt-5' is not one of models (gpt-4o, gpt-4o-mini)")
        // A file's value: the error names the file, also when options set other keys.
        let overlay = try ConfigOverlay(section: ["agents", "openai"], arguments: ["rate_limit.window_ms=1000"])
        let fromFile = try #require(
            Self.configurationError {
                let text = "agents:\n  openai:\n    max_in_flight: 0"
                _ = try AgentConfigurationFile.parse(text, file: "f.yaml", overlay: overlay)
            })
        #expect(fromFile.description == "f.yaml:3: agents.openai.max_in_flight: must be >= 1, got 0")
        // A type error of an option names it like the file's would.
        let typeError = try #require(
            Self.configurationError {
                _ = try command(["--set", "max_in_flight=many"]).settings(environment: [:])
            })
        #expect(typeError.description == #"--set max_in_flight: expected an integer, got a string ("many")"#)
        let unknown = try #require(
            Self.configurationError {
                _ = try command(["--set", "rate_limit.windw_ms=5"]).settings(environment: [:])
            })
        #expect(unknown.key == "--set rate_limit.windw_ms" && unknown.message.hasPrefix("unknown key (allowed here:"))
        // A named option breaking a rule on its own is refused while the command line is parsed
        // (usage error), in the same words.
        do {
            _ = try ProviderAgentsCommand.parseAsRoot(["agent", "--provider", "openai", "--test-timeout-rate", "1.5"])
            Issue.record("--test-timeout-rate 1.5 parsed")
        } catch {
            let message = ProviderAgentsCommand.message(for: error)
            #expect(message == "--test-timeout-rate: must be between 0 and 1, got 1.5")
        }
        #expect(throws: (any Error).self) {
            try ProviderAgentsCommand.parseAsRoot(["agent", "--provider", "p", "--set", "novalue"])
        }
    }
}
