import Foundation
import Kafka
import KafkaTestSupport
import Signals
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `provider-agents agent` as a separate OS process against a real broker (Tansu).
@Suite("provider-agents agent (separate process)", .timeLimit(.minutes(3)))
struct AgentCommandTests {
    /// The built CLI sits beside the test bundle (`swift build --build-tests` builds both).
    static var cliPath: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
            "provider-agents"
        ).path
    }

    static func logFile(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent(uniqueName(name) + ".log").path
    }

    static func output(_ log: String) -> String {
        (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
    }

    /// Reads `topic` from the beginning until `done` holds for what was read.
    static func read(
        _ topic: String, bootstrap: String, timeout: Duration = .seconds(60),
        until done: @escaping @Sendable ([KafkaConsumerMessage]) -> Bool
    ) async throws -> [KafkaConsumerMessage] {
        let watcher = try await TopicWatcher(bootstrapServers: bootstrap, topics: [topic])
        do {
            let seen = try await watcher.wait(until: "\(topic) has what the test waits for", timeout: timeout, done)
            await watcher.close()
            return seen
        } catch {
            await watcher.close()
            throw error
        }
    }

    @Test("answers provider_request signals, then on SIGTERM exits 0 after publishing status 'stopped'")
    func answersAndStopsGracefully() async throws {
        let broker = try await TansuBroker.shared()
        let provider = uniqueName("cli")
        let prefix = uniqueName("agentcmd") + "."
        for (topic, partitions) in [
            ("llm.requests.\(provider)", 3), ("llm.ledger.\(provider)", 3), ("llm.control.\(provider)", 1),
            ("llm.responses", 3), ("llm.errors", 3), ("llm.status", 1), ("llm.dlq", 1),
        ] {
            try await broker.createTopic(prefix + topic, partitions: partitions)
        }
        // File and options together: the file sets the models and timings, options the rest.
        let config = FileManager.default.temporaryDirectory.appendingPathComponent(uniqueName("agent-config") + ".yaml")
            .path
        try """
        kafka:
          bootstrap: 127.0.0.1:1        # overridden by --bootstrap
        agents:
          \(provider):
            models: [test-model, other-model]
            session_timeout_ms: 6000
            status_interval_ms: 1000
            drain_timeout_ms: 10000
            test: { latency: "fixed:5" }
        """.write(toFile: config, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: config) }

        let log = Self.logFile("agent-cmd")
        let process = try ChildProcess(
            executable: Self.cliPath,
            arguments: [
                "agent", "--provider", provider, "--config", config, "--bootstrap", broker.bootstrapServers,
                "--topic-prefix", prefix, "--instance-id", "cli-1", "--log-level", "info",
                "--test-latency-ms", "2", "-X", "sasl.password=must-not-be-logged",
            ],
            logFile: log
        )
        defer { process.stop(grace: .seconds(20)) }

        let producer = try KafkaProducer(configuration: .init(bootstrapServers: broker.bootstrapServers))
        let ids = (0..<6).map { "cli-req-\($0)" }
        for (index, id) in ids.enumerated() {
            // The envelope of docs/signals.md; half name no model (the default, test-model, applies).
            let model = index.isMultiple(of: 2) ? #""model":"other-model","# : ""
            let value = """
                {"type":"provider_request","id":"\(UUID().uuidString.lowercased())",\
                "source":"client/agent-command-test","time":"\(ISO8601DateFormatter().string(from: Date()))",\
                "data":{"request_id":"\(id)",\(model)\
                "messages":[{"role":"user","content":"hello \(id)"}],"temperature":0.7,"max_tokens":64}}
                """
            try await producer.send(
                KafkaProducerMessage(
                    topic: prefix + "llm.requests.\(provider)", key: id, value: value,
                    headers: [
                        KafkaHeader(key: "signal-type", value: "provider_request"),
                        KafkaHeader(key: "request-id", value: id),
                    ]
                ))
        }
        await producer.close()

        let answers = try await Self.read(prefix + "llm.responses", bootstrap: broker.bootstrapServers) { seen in
            Set(seen.compactMap(\.keyString)).isSuperset(of: ids)
        }
        #expect(process.isRunning, "the agent keeps running: \(Self.output(log))")
        var perRequest: [String: Int] = [:]
        for message in answers {
            let envelope = try SignalEnvelope.decode(message.value)
            guard case .providerResponse(let response) = envelope.signal else {
                Issue.record("not a provider_response: \(message.valueString)")
                continue
            }
            perRequest[response.requestID, default: 0] += 1
            #expect(response.provider == provider)
            // Even indexes name other-model; the others get the default.
            let index = try #require(Int(response.requestID.dropFirst("cli-req-".count)), "\(response.requestID)")
            #expect(response.model == (index.isMultiple(of: 2) ? "other-model" : "test-model"), "\(response.requestID)")
            #expect(response.response == "echo(\(response.model)): hello \(response.requestID)")
        }
        #expect(Set(perRequest.keys) == Set(ids), "every request answered: \(perRequest)")
        #expect(perRequest.values.allSatisfy { $0 == 1 }, "one provider_response per request_id: \(perRequest)")

        // Graceful shutdown on SIGTERM: exit 0, in reasonable time, final status "stopped".
        process.send(SIGTERM)
        try await waitUntil("the agent exits after SIGTERM", timeout: .seconds(30)) { !process.isRunning }
        let output = Self.output(log)
        #expect(
            process.exitCode == 0,
            """
            exit code \(String(describing: process.exitCode)), signal \
            \(String(describing: process.terminatingSignal)): \(output)
            """
        )
        #expect(output.contains("agent configuration"), "logs its configuration: \(output)")
        #expect(!output.contains("must-not-be-logged"), "a secret property leaked into the log")

        let statuses = try await Self.read(prefix + "llm.status", bootstrap: broker.bootstrapServers) { seen in
            seen.contains { Self.isStopped($0, provider: provider) }
        }
        #expect(
            statuses.contains { Self.isStopped($0, provider: provider) },
            "no final provider_status 'stopped' on \(prefix)llm.status")
        #expect(statuses.allSatisfy { $0.keyString == "\(provider)/cli-1" }, "status keyed provider/instance")
    }

    static func isStopped(_ message: KafkaConsumerMessage, provider: String) -> Bool {
        guard let envelope = try? SignalEnvelope.decode(message.value),
            case .providerStatus(let status) = envelope.signal
        else { return false }
        return status.provider == provider && status.instance == "cli-1" && status.status == "stopped"
    }

    @Test("a missing configuration file stops it at once with an error naming the file")
    func missingConfigFile() async throws {
        let log = Self.logFile("agent-cmd-missing")
        let path = "/nonexistent-\(UUID().uuidString)/provider-agents.yaml"
        let process = try ChildProcess(
            executable: Self.cliPath, arguments: ["agent", "--provider", "openai", "--config", path], logFile: log
        )
        defer { process.stop() }
        try await waitUntil("the agent exits", timeout: .seconds(20)) { !process.isRunning }
        let output = Self.output(log)
        #expect(process.exitCode != 0 && process.exitCode != nil, "exit code \(String(describing: process.exitCode))")
        #expect(output.contains(path) && output.contains("not found"), "\(output)")
    }

    @Test("a bad option value stops it with a usage error naming the option")
    func badOption() async throws {
        let log = Self.logFile("agent-cmd-bad-option")
        let process = try ChildProcess(
            executable: Self.cliPath, arguments: ["agent", "--provider", "openai", "--test-timeout-rate", "1.5"],
            logFile: log
        )
        defer { process.stop() }
        try await waitUntil("the agent exits", timeout: .seconds(20)) { !process.isRunning }
        let output = Self.output(log)
        #expect(process.exitCode == 64, "usage error (EX_USAGE): \(String(describing: process.exitCode))")
        #expect(output.contains("--test-timeout-rate: must be between 0 and 1, got "), "\(output)")
    }

    @Test("a missing request topic stops it with an error naming the topic")
    func missingTopic() async throws {
        let broker = try await TansuBroker.shared()
        let prefix = uniqueName("agentcmd-none") + "."
        let log = Self.logFile("agent-cmd-no-topic")
        let process = try ChildProcess(
            executable: Self.cliPath,
            arguments: [
                "agent", "--provider", "openai", "--bootstrap", broker.bootstrapServers, "--topic-prefix", prefix,
            ],
            logFile: log
        )
        defer { process.stop() }
        try await waitUntil("the agent exits", timeout: .seconds(60)) { !process.isRunning }
        let output = Self.output(log)
        #expect(
            process.exitCode != 0 && process.exitCode != nil,
            "exit code \(String(describing: process.exitCode)): \(output)")
        #expect(output.contains(prefix + "llm."), "names the missing topic: \(output)")
    }

    @Test("a broker that does not answer stops it within --connect-timeout, naming the address")
    func unreachableBroker() async throws {
        let address = "127.0.0.1:\(try freeLoopbackPort())"
        let log = Self.logFile("agent-cmd-unreachable")
        let started = ContinuousClock.now
        let process = try ChildProcess(
            executable: Self.cliPath,
            arguments: ["agent", "--provider", "openai", "--bootstrap", address, "--connect-timeout", "2"], logFile: log
        )
        defer { process.stop() }
        try await waitUntil("the agent exits", timeout: .seconds(30)) { !process.isRunning }
        let output = Self.output(log)
        #expect(
            process.exitCode != 0 && process.exitCode != nil,
            "exit code \(String(describing: process.exitCode)): \(output)")
        #expect(output.contains(address), "names the address: \(output)")
        #expect(ContinuousClock.now - started < .seconds(20))
    }
}
