import Foundation
import Kafka
import KafkaTestSupport
import Signals
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// End to end on Tansu with separate processes: `provider-agents agent --backend ollama` calling
/// `fake-upstream` as its Ollama. The local signals are answered (`list_available_models`,
/// `load_model` with the load time, `get_resource_status` with the machine's real memory,
/// `unload_model`, failures as `provider_error`), a tool call comes back, the status carries
/// per-model performance; a memory threshold below any real use refuses requests with
/// `resource_constrained`.
@Suite("Local agent (Ollama) end to end (separate processes)", .timeLimit(.minutes(3)))
struct AgentLocalEndToEndTests {
    /// A broker with the topics, the fake upstream and an agent of provider `local` with
    /// `resources` (YAML flow mapping, or nil); runs `body(send, watcher, upstream base URL)` and
    /// stops both.
    static func withLocalAgent(
        _ name: String, provider: String = "local", backend: String = "ollama",
        models: String = "[llama3.1:8b, qwen2.5:7b]", resources: String? = nil,
        _ body:
            @Sendable (_ send: @Sendable (String) async throws -> Void, _ watcher: TopicWatcher, _ upstream: String)
            async throws -> Void
    ) async throws {
        let broker = try await TansuBroker.shared()
        let prefix = uniqueName(name) + "."
        for (topic, partitions) in [
            ("llm.requests.\(provider)", 2), ("llm.ledger.\(provider)", 2), ("llm.control.\(provider)", 1),
            ("llm.responses", 2), ("llm.errors", 2), ("llm.status", 1), ("llm.dlq", 1),
        ] {
            try await broker.createTopic(prefix + topic, partitions: partitions)
        }
        let upstreamPort = try freeLoopbackPort()
        let upstreamLog = AgentCommandTests.logFile("\(name)-fake-upstream")
        let upstream = try ChildProcess(
            executable: URL(fileURLWithPath: AgentCommandTests.cliPath).deletingLastPathComponent()
                .appendingPathComponent("fake-upstream").path,
            arguments: ["--port", "\(upstreamPort)"], logFile: upstreamLog
        )
        defer { upstream.stop() }
        try await waitUntil("the fake upstream listens") {
            AgentCommandTests.output(upstreamLog).contains("listening:")
        }

        let config = FileManager.default.temporaryDirectory.appendingPathComponent(
            uniqueName("\(name)-config") + ".yaml"
        ).path
        try
            ([
                "agents:", "  \(provider):", "    backend: \(backend)", "    models: \(models)",
                "    session_timeout_ms: 6000", "    status_interval_ms: 500",
                "    http: { base_url: \"http://127.0.0.1:\(upstreamPort)\", request_timeout_ms: 10000 }",
            ] + (resources.map { ["    resources: \($0)"] } ?? [])).joined(separator: "\n").write(
                toFile: config, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: config) }
        let agentLog = AgentCommandTests.logFile("\(name)-agent")
        let agent = try ChildProcess(
            executable: AgentCommandTests.cliPath,
            arguments: [
                "agent", "--provider", provider, "--config", config, "--bootstrap", broker.bootstrapServers,
                "--topic-prefix", prefix, "--instance-id", "local-1", "--log-level", "debug",
            ],
            logFile: agentLog
        )
        defer { agent.stop(grace: .seconds(20)) }

        let producer = try KafkaProducer(configuration: .init(bootstrapServers: broker.bootstrapServers))
        let watcher = try await TopicWatcher(
            bootstrapServers: broker.bootstrapServers,
            topics: [prefix + "llm.responses", prefix + "llm.errors", prefix + "llm.status"])
        let requests = prefix + "llm.requests.\(provider)"
        try await body(
            { value in try await producer.send(KafkaProducerMessage(topic: requests, key: "k", value: value)) },
            watcher, "http://127.0.0.1:\(upstreamPort)")
        await producer.close()
        agent.send(SIGTERM)
        try await waitUntil("the agent stopped", timeout: .seconds(40)) { !agent.isRunning }
        await watcher.close()
        #expect(agent.exitCode == 0, "\(AgentCommandTests.output(agentLog).suffix(2000))")
    }

    /// Waits for the answer to `requestID` (periodic statuses carry none).
    static func answer(to requestID: String, in watcher: TopicWatcher) async throws -> Signal {
        let messages = try await watcher.wait(until: "the answer to \(requestID)", timeout: .seconds(90)) { messages in
            AgentLedgerTests.signals(messages).contains { $0.requestID == requestID }
        }
        return try #require(AgentLedgerTests.signals(messages).first { $0.requestID == requestID })
    }

    @Test(
        """
        list, load (with its duration), a tool call, resource status with real memory, unload, failures, per-model \
        performance
        """
    )
    func localSignals() async throws {
        try await Self.withLocalAgent("e2e-local") { send, watcher, _ in
            try await send(#"{"type":"list_available_models","data":{"request_id":"la-1"}}"#)
            guard case .availableModels(let available) = try await Self.answer(to: "la-1", in: watcher) else {
                Issue.record("list_available_models not answered with available_models")
                return
            }
            #expect(available.provider == "local")
            #expect(available.models.map(\.name).sorted() == ["llama3.1:8b", "mistral:7b", "qwen2.5:7b"])
            let listed = try #require(available.models.first { $0.name == "qwen2.5:7b" })
            #expect(listed.contextLength == 32_768 && listed.family == "qwen2" && listed.sizeBytes == 4_683_087_332)
            #expect(available.models.allSatisfy { !$0.loaded && ($0.sizeBytes ?? 0) > 0 })

            try await send(
                #"{"type":"load_model","data":{"model":"qwen2.5:7b","keep_alive_s":600,"request_id":"lm-1"}}"#)
            guard case .modelLoaded(let loaded) = try await Self.answer(to: "lm-1", in: watcher) else {
                Issue.record("load_model not answered with model_loaded")
                return
            }
            #expect(loaded.model == "qwen2.5:7b" && loaded.durationMs == 50, "the fake's load time, from load_duration")
            #expect(loaded.memoryBytes == 4_683_087_332)

            try await send(
                #"""
                {"type":"provider_request","data":{"request_id":"t-1","model":"qwen2.5:7b","messages":[{"role":\#
                "user","content":"please call get_weather for \#
                Paris"}],"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":\#
                "object","properties":{"question":{"type":"string"}}}}}]}}
                """#
            )
            guard case .providerResponse(let response) = try await Self.answer(to: "t-1", in: watcher) else {
                Issue.record("the tool request was not answered with provider_response")
                return
            }
            #expect(response.finishReason == "tool_calls")
            #expect(response.toolCalls?.first?.function.name == "get_weather")
            #expect(
                response.toolCalls?.first?.function.arguments == #"{"question":"please call get_weather for Paris"}"#)

            try await send(#"{"type":"get_resource_status","data":{"request_id":"rs-1"}}"#)
            guard case .resourceStatus(let resources) = try await Self.answer(to: "rs-1", in: watcher) else {
                Issue.record("get_resource_status not answered with resource_status")
                return
            }
            #expect(resources.loadedModels == ["qwen2.5:7b"])
            #expect((resources.memoryTotalBytes ?? 0) > 0 && (resources.memoryUsedBytes ?? 0) > 0)
            #expect((resources.memoryUsedBytes ?? .max) <= (resources.memoryTotalBytes ?? 0))
            #expect(resources.inFlight != nil)

            try await send(#"{"type":"unload_model","data":{"model":"qwen2.5:7b","request_id":"um-1"}}"#)
            guard case .modelUnloaded(let unloaded) = try await Self.answer(to: "um-1", in: watcher) else {
                Issue.record("unload_model not answered with model_unloaded")
                return
            }
            #expect(unloaded.model == "qwen2.5:7b" && unloaded.memoryBytes == 4_683_087_332)

            try await send(#"{"type":"load_model","data":{"model":"gpt-5:1t","request_id":"lm-2"}}"#)
            guard case .providerError(let failure) = try await Self.answer(to: "lm-2", in: watcher) else {
                Issue.record("an unknown model should be answered with provider_error")
                return
            }
            #expect(failure.errorType == .modelUnavailable && failure.model == "gpt-5:1t")

            try await send(#"{"type":"load_model","data":{"model":"qwen2.5:7b","keep_alive_s":0,"request_id":"lm-3"}}"#)
            guard case .providerError(let zero) = try await Self.answer(to: "lm-3", in: watcher) else {
                Issue.record("keep_alive_s 0 should be refused")
                return
            }
            #expect(
                zero.errorType == .invalidRequest && zero.error.hasPrefix("keep_alive_s: 0 would unload"),
                "\(zero.error)")

            try await send(#"{"type":"get_provider_status","data":{"request_id":"st-1"}}"#)
            guard case .providerStatus(let status) = try await Self.answer(to: "st-1", in: watcher) else {
                Issue.record("get_provider_status not answered")
                return
            }
            let qwen = status.modelMetrics?["qwen2.5:7b"]
            #expect(qwen?.loadTimeMs == 50)
            #expect((qwen?.tokensPerSecond ?? 0) > 0)
            #expect(qwen?.p50LatencyMs != nil)
            #expect(status.concurrencyLimit == 512)
        }
    }

    @Test(
        """
        a memory threshold below any real use refuses requests with resource_constrained, retryable after the \
        refresh interval
        """
    )
    func resourceConstrained() async throws {
        try await Self.withLocalAgent(
            "e2e-local-constrained", provider: "local-constrained",
            resources: "{ refresh_ms: 250, max_memory_percent: 0.1 }"
        ) { send, watcher, _ in
            try await send(
                #"""
                {"type":"provider_request","data":{"request_id":"rc-1","model":"llama3.1:8b","messages":[{"role":\#
                "user","content":"hello"}]}}
                """#
            )
            guard case .providerError(let refused) = try await Self.answer(to: "rc-1", in: watcher) else {
                Issue.record("should be refused")
                return
            }
            #expect(refused.errorType == .resourceConstrained)
            #expect(refused.retryable && refused.retryAfterMs == 250)
            #expect(refused.error.contains("max_memory_percent 0.1%"), "\(refused.error)")
        }
    }

    @Test(
        """
        llama.cpp backend: chat through the OpenAI endpoint; /health 503 (loading) shows as status degraded, then \
        healthy again; no model management
        """
    )
    func llamaCpp() async throws {
        try await Self.withLocalAgent(
            "e2e-llamacpp", provider: "local-llamacpp", backend: "llamacpp", models: "[gpt-4o-mini]",
            resources: "{ refresh_ms: 200 }"
        ) { send, watcher, upstream in
            try await send(
                #"""
                {"type":"provider_request","data":{"request_id":"lc-1","messages":[{"role":"user","content":\#
                "hello llama.cpp"}]}}
                """#
            )
            guard case .providerResponse(let response) = try await Self.answer(to: "lc-1", in: watcher) else {
                Issue.record("not answered with provider_response")
                return
            }
            #expect(response.response.hasPrefix("Fake openai reply from gpt-4o-mini to \"hello llama.cpp\""))

            func setLoading(_ loading: Bool) async throws {
                let url = try #require(URL(string: upstream + "/fake/llamacpp/loading"), "not a URL: \(upstream)")
                var request = URLRequest(url: url)
                request.httpMethod = "POST"
                request.httpBody = Data(#"{"loading":\#(loading)}"#.utf8)
                let (_, answer) = try await URLSession.shared.data(for: request)
                #expect((answer as? HTTPURLResponse)?.statusCode == 200)
            }
            @Sendable func statuses() -> [String] {
                AgentLedgerTests.signals(watcher.messages).compactMap {
                    if case .providerStatus(let status) = $0, status.requestID == nil { status.status } else { nil }
                }
            }
            try await setLoading(true)
            let before = statuses().count
            try await waitUntil("a degraded status", timeout: .seconds(30)) {
                statuses().dropFirst(before).contains("degraded")
            }
            try await setLoading(false)
            let degraded = statuses().count
            try await waitUntil("a healthy status again", timeout: .seconds(30)) {
                statuses().dropFirst(degraded).contains("healthy")
            }

            try await send(#"{"type":"list_available_models","data":{"request_id":"lc-2"}}"#)
            guard case .providerError(let unsupported) = try await Self.answer(to: "lc-2", in: watcher) else {
                Issue.record("llama.cpp has no model management: unsupported expected")
                return
            }
            #expect(unsupported.errorType == .unsupported)
        }
    }
}
