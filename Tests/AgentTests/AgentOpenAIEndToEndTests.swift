import Foundation
import Kafka
import KafkaTestSupport
import Signals
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// End to end on Tansu with separate processes: `provider-agents agent --backend openai` calling
/// `fake-upstream` over real HTTP. Signal in → HTTP → signal out; streamed chunks in order; the
/// API key from the environment appears nowhere in logs, signals or status.
@Suite("Agent with the HTTP adapters, end to end (separate processes)", .timeLimit(.minutes(3)))
struct AgentOpenAIEndToEndTests {
    static let secret = "sk-e2e-secret-do-not-print-7c1f"

    @Test(
        "requests and a stream_request answered through the fake upstream; the key never leaks",
        arguments: [
            ("openai", "gpt-4o-mini"), ("anthropic", "claude-haiku-4-5"), ("ollama", "llama3.1:8b"),
        ])
    func endToEnd(_ provider: String, _ model: String) async throws {
        let broker = try await TansuBroker.shared()
        let prefix = uniqueName("e2e-\(provider)") + "."
        for (topic, partitions) in [
            ("llm.requests.\(provider)", 2), ("llm.ledger.\(provider)", 2), ("llm.control.\(provider)", 1),
            ("llm.responses", 2), ("llm.errors", 2), ("llm.status", 1), ("llm.dlq", 1),
        ] {
            try await broker.createTopic(prefix + topic, partitions: partitions)
        }
        let upstreamPort = try freeLoopbackPort()
        let upstreamLog = AgentCommandTests.logFile("e2e-fake-upstream")
        let upstream = try ChildProcess(
            executable: URL(fileURLWithPath: AgentCommandTests.cliPath).deletingLastPathComponent()
                .appendingPathComponent("fake-upstream").path,
            arguments: ["--port", "\(upstreamPort)", "--stream-chunks", "4"], logFile: upstreamLog
        )
        defer { upstream.stop() }
        try await waitUntil("the fake upstream listens") {
            AgentCommandTests.output(upstreamLog).contains("listening:")
        }

        let config = FileManager.default.temporaryDirectory.appendingPathComponent(uniqueName("e2e-config") + ".yaml")
            .path
        try [
            "agents:", "  \(provider):", "    backend: \(provider)", "    models: [\(model)]",
            "    session_timeout_ms: 6000", "    status_interval_ms: 500",
            """
                http: { base_url: \"http://127.0.0.1:\(upstreamPort)\", api_key_env: E2E_OPENAI_KEY, \
            request_timeout_ms: 10000 }
            """,
        ].joined(separator: "\n").write(toFile: config, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: config) }
        let agentLog = AgentCommandTests.logFile("e2e-agent")
        var environment = ProcessInfo.processInfo.environment
        environment["E2E_OPENAI_KEY"] = Self.secret
        let agent = try ChildProcess(
            executable: AgentCommandTests.cliPath,
            arguments: [
                "agent", "--provider", provider, "--config", config, "--bootstrap", broker.bootstrapServers,
                "--topic-prefix", prefix, "--instance-id", "e2e-1", "--log-level", "debug",
            ],
            environment: environment, logFile: agentLog
        )
        defer { agent.stop(grace: .seconds(20)) }

        let producer = try KafkaProducer(configuration: .init(bootstrapServers: broker.bootstrapServers))
        let requests = prefix + "llm.requests.\(provider)"
        for id in ["e1", "e2", "e3"] {
            try await producer.send(
                KafkaProducerMessage(
                    topic: requests, key: id,
                    value:
                        #"""
                        {"type":"provider_request","data":{"request_id":"\#(id)","model":"\#(model)","messages":\#
                        [{"role":"user","content":"question \#(id)"}]}}
                        """#
                ))
        }
        try await producer.send(
            KafkaProducerMessage(
                topic: requests, key: "s1",
                value:
                    #"""
                    {"type":"stream_request","data":{"request_id":"s1","model":"\#(model)","messages":[{"role":\#
                    "user","content":"stream please"}]}}
                    """#
            ))
        try await producer.send(
            KafkaProducerMessage(
                topic: requests, key: "x1",
                value:
                    #"""
                    {"type":"provider_request","data":{"request_id":"x1","model":"\#(model)","messages":[{"role":\#
                    "user","content":"unknown"}]}}
                    """#
            ))
        await producer.close()

        let watcher = try await TopicWatcher(
            bootstrapServers: broker.bootstrapServers,
            topics: [prefix + "llm.responses", prefix + "llm.errors", prefix + "llm.status"])
        let seen = try await watcher.wait(until: "every answer", timeout: .seconds(90)) { messages in
            let responses = AgentLedgerTests.signals(messages).compactMap { signal -> String? in
                if case .providerResponse(let response) = signal { response.requestID } else { nil }
            }
            return Set(responses).isSuperset(of: ["e1", "e2", "e3", "s1", "x1"])
        }
        agent.send(SIGTERM)
        try await waitUntil("the agent stopped", timeout: .seconds(40)) { !agent.isRunning }
        let all = try await watcher.wait(until: "the final status") { messages in
            AgentLedgerTests.signals(messages).contains {
                if case .providerStatus(let status) = $0 { status.status == "stopped" } else { false }
            }
        }
        await watcher.close()
        _ = seen

        let signals = AgentLedgerTests.signals(all)
        for id in ["e1", "e2", "e3"] {
            guard
                case .providerResponse(let response)? = signals.first(where: {
                    if case .providerResponse = $0 { $0.requestID == id } else { false }
                })
            else {
                Issue.record("\(id) unanswered")
                continue
            }
            #expect(
                response.response.hasPrefix("Fake \(provider) reply from \(model) to \"question \(id)\""),
                "\(response.response)")
            #expect((response.usage?.totalTokens ?? 0) > 0)
        }
        let chunks = signals.compactMap { signal -> StreamChunk? in
            if case .streamChunk(let chunk) = signal, chunk.requestID == "s1" { chunk } else { nil }
        }
        guard
            case .providerResponse(let streamed)? = signals.first(where: {
                if case .providerResponse = $0 { $0.requestID == "s1" } else { false }
            })
        else {
            Issue.record("s1 unanswered")
            return
        }
        #expect(chunks.map(\.index) == [0, 1, 2, 3, 4], "chunks in order, the closing one last")
        #expect(chunks.map(\.done) == [false, false, false, false, true], "only the last chunk says done")
        #expect(chunks.map(\.delta).joined() == streamed.response)
        #expect((streamed.usage?.totalTokens ?? 0) > 0, "usage from the stream")

        let everything = all.map(\.valueString).joined() + AgentCommandTests.output(agentLog)
        #expect(!everything.contains(Self.secret), "the API key appears nowhere in logs, signals or status")
        #expect(
            AgentCommandTests.output(agentLog).contains("http.api_key"), "the log says a key is set, not what it is")
        #expect(agent.exitCode == 0)
    }
}
