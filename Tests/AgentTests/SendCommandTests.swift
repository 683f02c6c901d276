import Foundation
import Kafka
import KafkaTestSupport
import Signals
import Testing

/// `provider-agents send` as a separate process against an agent process on a real broker (Tansu).
@Suite("provider-agents send (separate process)", .timeLimit(.minutes(3)))
struct SendCommandTests {
    /// Runs `provider-agents send` with `arguments` until it exits: its exit code and output
    /// (standard output and standard error together).
    static func send(_ arguments: [String], timeout: Duration = .seconds(90)) async throws -> (
        code: Int32?, output: String
    ) {
        let log = AgentCommandTests.logFile("send")
        let process = try ChildProcess(
            executable: AgentCommandTests.cliPath, arguments: ["send"] + arguments, logFile: log)
        defer { process.stop() }
        try await waitUntil("provider-agents send exits", timeout: timeout) { !process.isRunning }
        return (process.exitCode, AgentCommandTests.output(log))
    }

    /// `provider-agents send` with `input` on its standard input (through `sh -c`, single-quoted).
    static func send(input: String, _ arguments: [String]) async throws -> (code: Int32?, output: String) {
        let quoted = ([AgentCommandTests.cliPath, "send"] + arguments).map { "'\($0)'" }.joined(separator: " ")
        let log = AgentCommandTests.logFile("send-stdin")
        let process = try ChildProcess(
            executable: "/bin/sh", arguments: ["-c", "printf '%s' '\(input)' | \(quoted)"], logFile: log)
        defer { process.stop() }
        try await waitUntil("provider-agents send exits", timeout: .seconds(90)) { !process.isRunning }
        return (process.exitCode, AgentCommandTests.output(log))
    }

    @Test(
        """
        exit 0 with the answer and who gave it (plain, streamed, JSON); 1 with a final provider_error; 2 on \
        timeout or no broker
        """
    )
    func answersErrorsAndTimeouts() async throws {
        let broker = try await TansuBroker.shared()
        let provider = uniqueName("send")
        let silentProvider = uniqueName("silent")
        let prefix = uniqueName("sendcmd") + "."
        for (topic, partitions) in [
            ("llm.requests.\(provider)", 3), ("llm.ledger.\(provider)", 3), ("llm.control.\(provider)", 1),
            ("llm.requests.\(silentProvider)", 1),
            ("llm.responses", 3), ("llm.errors", 3), ("llm.status", 1), ("llm.dlq", 1),
        ] {
            try await broker.createTopic(prefix + topic, partitions: partitions)
        }
        let config = FileManager.default.temporaryDirectory.appendingPathComponent(uniqueName("send-config") + ".yaml")
            .path
        try ["agents:", "  \(provider):", "    models: [test-model]", "    session_timeout_ms: 6000"]
            .joined(separator: "\n").write(toFile: config, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: config) }
        let agentLog = AgentCommandTests.logFile("send-agent")
        let agent = try ChildProcess(
            executable: AgentCommandTests.cliPath,
            arguments: [
                "agent", "--provider", provider, "--config", config, "--bootstrap", broker.bootstrapServers,
                "--topic-prefix", prefix, "--instance-id", "send-1", "--test-latency-ms", "2",
            ],
            logFile: agentLog
        )
        defer { agent.stop(grace: .seconds(20)) }
        // One client id for every run: each run reads the same per-client reply topic from its end.
        let common = [
            "--bootstrap", broker.bootstrapServers, "--topic-prefix", prefix, "--client-id", uniqueName("cli"),
        ]

        let answered = try await Self.send(
            common + [
                "--direct", provider, "--prompt", "hello from the cli", "--request-id", "cli-ok-1", "--max-tokens",
                "64",
            ])
        #expect(answered.code == 0, "\(answered.output)\nagent: \(AgentCommandTests.output(agentLog))")
        #expect(answered.output.hasPrefix("echo(test-model): hello from the cli\n--\n"), "\(answered.output)")
        let details = "provider: \(provider)  model: test-model  instance: send-1  attempt: 1"
        #expect(answered.output.split(separator: "\n").contains { $0 == details }, "the whole line: \(answered.output)")
        #expect(answered.output.contains("finish_reason: stop"), "\(answered.output)")

        let streamed = try await Self.send(
            common + ["--direct", provider, "--prompt", "stream this", "--stream", "--request-id", "cli-stream-1"])
        #expect(streamed.code == 0, "\(streamed.output)")
        #expect(
            streamed.output.hasPrefix("echo(test-model): stream this\n--\n"),
            "the chunks, then the details: \(streamed.output)")

        let json = try await Self.send(
            common + ["--direct", provider, "--prompt", "as json", "--json", "--request-id", "cli-json-1"])
        #expect(json.code == 0, "\(json.output)")
        let lines = json.output.split(separator: "\n")
        #expect(lines.count == 1, "only the final signal: \(json.output)")
        let envelope = try SignalEnvelope.decode(Array((lines.last ?? "").utf8))
        guard case .providerResponse(let response) = envelope.signal else {
            Issue.record("not a provider_response: \(json.output)")
            return
        }
        #expect(response.requestID == "cli-json-1")
        #expect(response.response == "echo(test-model): as json")
        #expect(envelope.source == "agent/\(provider)/send-1")

        let conversation = #"[{"role":"system","content":"Be terse."},{"role":"user","content":"from json"}]"#
        let fromJSON = try await Self.send(
            common + ["--direct", provider, "--messages-json", conversation, "--temperature", "0.2"])
        #expect(fromJSON.code == 0, "\(fromJSON.output)")
        #expect(fromJSON.output.hasPrefix("echo(test-model): from json\n"), "\(fromJSON.output)")

        let piped = try await Self.send(
            input: #"[{"role":"user","content":"from stdin"}]"#,
            common + ["--direct", provider, "--messages-json", "-"])
        #expect(piped.code == 0, "\(piped.output)")
        #expect(piped.output.hasPrefix("echo(test-model): from stdin\n"), "\(piped.output)")

        let failed = try await Self.send(
            common + ["--direct", provider, "--prompt", "hi", "--model", "no-such-model", "--request-id", "cli-err-1"])
        #expect(failed.code == 1, "\(failed.output)")
        #expect(
            failed.output.hasPrefix(
                "provider_error model_unavailable: model 'no-such-model' is not available (available: test-model)\n"),
            "\(failed.output)")
        #expect(
            failed.output.contains("provider: \(provider)  model: no-such-model  instance: send-1"), "\(failed.output)")

        let unanswered = try await Self.send(
            common + ["--direct", silentProvider, "--prompt", "hi", "--timeout", "2", "--request-id", "cli-timeout-1"])
        #expect(unanswered.code == 2, "\(unanswered.output)")
        #expect(
            unanswered.output.contains(
                """
                error: no final answer to request 'cli-timeout-1' within 2 s (sent to \
                '\(prefix)llm.requests.\(silentProvider)'
                """
            ), "\(unanswered.output)")

        let missing = try await Self.send(common + ["--topic", prefix + "no.such.topic", "--prompt", "hi"])
        #expect(missing.code == 2, "\(missing.output)")
        #expect(missing.output.contains("topic '\(prefix)no.such.topic' does not exist"), "\(missing.output)")

        let address = "127.0.0.1:\(try freeLoopbackPort())"
        let unreachable = try await Self.send([
            "--bootstrap", address, "--connect-timeout", "1", "--direct", provider, "--prompt", "hi",
        ])
        #expect(unreachable.code == 2, "\(unreachable.output)")
        #expect(unreachable.output.contains("error: could not reach the broker"), "\(unreachable.output)")
        #expect(unreachable.output.contains(address), "\(unreachable.output)")

        #expect(agent.isRunning, "the agent kept running: \(AgentCommandTests.output(agentLog))")
    }

    @Test("bad options are refused before anything is sent")
    func badOptions() async throws {
        let none = try await Self.send(["--direct", "p"])
        #expect(none.code == 64, "\(none.output)")
        #expect(none.output.contains("give either --prompt or --messages-json"), "\(none.output)")
        let both = try await Self.send(["--direct", "p", "--topic", "t", "--prompt", "hi"])
        #expect(both.code == 64, "\(both.output)")
        #expect(both.output.contains("give either --topic or --direct, not both"), "\(both.output)")
        let json = try await Self.send(["--direct", "p", "--messages-json", #"[{"role":"robot","content":"hi"}]"#])
        #expect(json.code == 64, "\(json.output)")
        #expect(json.output.contains("expected one of system, user, assistant, tool"), "\(json.output)")
    }
}
