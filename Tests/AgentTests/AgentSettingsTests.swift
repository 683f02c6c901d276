import Agent
import AgentCore
import FakeUpstream
import Foundation
import Kafka
import KafkaTestSupport
import Providers
import Signals
import Testing

/// `configure_functions` and `configure_safety` on Tansu, through the control topic, with the
/// OpenAI adapter calling the fake upstream over real HTTP.
@Suite("Agent standing settings (functions, safety) on Tansu", .timeLimit(.minutes(3)))
struct AgentSettingsTests {
    typealias Fixture = AgentIntegrationTests.Fixture

    static func message(_ fixture: Fixture, topic: String, key: String, _ json: String) -> KafkaProducerMessage {
        KafkaProducerMessage(topic: topic, key: key, value: json)
    }

    static func request(
        _ fixture: Fixture, _ id: String, _ prompt: String, type: String = "provider_request", extra: String = ""
    ) -> KafkaProducerMessage {
        let value =
            #"""
            {"type":"\#(type)","data":{"request_id":"\#(id)","model":"gpt-4o-mini","messages":[{"role":"user",\#
            "content":"\#(prompt)"}]\#(extra)}}
            """#
        return KafkaProducerMessage(topic: fixture.configuration.requestTopic, key: id, value: value)
    }

    static func final(_ signals: [Signal], _ id: String) -> Signal? {
        signals.last { signal in
            switch signal {
            case .providerResponse(let r): r.requestID == id
            case .providerError(let e): e.requestID == id
            default: false
            }
        }
    }

    @Test(
        """
        configured functions reach requests without tools; safety blocks prompts and answers (also mid-stream) \
        with content_blocked; bad settings are refused naming the field
        """
    )
    func functionsAndSafety() async throws {
        var fixture = try await Fixture(partitions: 1)
        fixture.configuration.models = ["gpt-4o-mini"]
        fixture.configuration.defaultModel = "gpt-4o-mini"
        let upstream = try await FakeUpstream(configuration: .init(streamChunks: 6)).start()
        let provider = OpenAIProvider(
            configuration: HTTPProviderConfiguration(
                baseURL: upstream.baseURL, apiKey: "sk-test",
                models: [ModelInfo(id: "gpt-4o-mini", contextWindow: 128_000, features: [.chat, .streaming, .tools])]
            ))
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: fixture.broker.bootstrapServers))
        let control = fixture.configuration.controlTopic
        // Before the agent starts: functions on the control topic (replayed at start).
        try await producer.send(
            Self.message(
                fixture, topic: control, key: "configure_functions",
                #"""
                {"type":"configure_functions","data":{"tool_choice":"auto","functions":[{"name":"get_weather",
                 "description":"Weather for a city","parameters":{"type":"object",
                 "properties":{"city":{"type":"string"}}}}]}}
                """#))

        let agent = try ProviderAgent(
            configuration: fixture.configuration, provider: provider, logger: AgentIntegrationTests.quietLogger)
        let running = Task { try await agent.run() }
        let watcher = try await TopicWatcher(
            bootstrapServers: fixture.broker.bootstrapServers,
            topics: [fixture.configuration.responseTopic, fixture.configuration.errorTopic])

        // 1. A request without tools gets the configured ones; one with its own tools keeps them.
        try await producer.send(Self.request(fixture, "f-1", "please call get_weather for Paris"))
        try await producer.send(
            Self.request(
                fixture, "f-2", "please call get_weather for Paris",
                extra: #","tools":[{"type":"function","function":{"name":"lookup","parameters":{"type":"object"}}}]"#))
        var seen = try await watcher.wait(until: "f-1 and f-2 answered") {
            Self.final(AgentLedgerTests.signals($0), "f-2") != nil
                && Self.final(AgentLedgerTests.signals($0), "f-1") != nil
        }
        guard case .providerResponse(let withConfigured)? = Self.final(AgentLedgerTests.signals(seen), "f-1") else {
            Issue.record("f-1: no response")
            return
        }
        #expect(withConfigured.finishReason == "tool_calls")
        #expect(withConfigured.toolCalls?.first?.function.name == "get_weather")
        guard case .providerResponse(let withOwn)? = Self.final(AgentLedgerTests.signals(seen), "f-2") else {
            Issue.record("f-2: no response")
            return
        }
        #expect(
            withOwn.toolCalls == nil,
            "its own tool 'lookup' was not asked for: \(String(describing: withOwn.toolCalls))")

        // 2. Safety, sent to the request topic: forwarded to the control topic and answered from there.
        try await producer.send(
            Self.message(
                fixture, topic: fixture.configuration.requestTopic, key: "cs-1",
                #"""
                {"type":"configure_safety","data":{"request_id":"cs-1","content_filtering":"moderate",
                 "block_flagged_content":true,"blocked_categories":["malware"],"blocked_terms":["lazy dog"],
                 "max_tokens_cap":256}}
                """#))
        seen = try await watcher.wait(until: "safety_configured cs-1") {
            AgentLedgerTests.signals($0).contains { $0.requestID == "cs-1" }
        }
        guard
            case .safetyConfigured(let configured)? = AgentLedgerTests.signals(seen).first(where: {
                $0.requestID == "cs-1"
            })
        else {
            Issue.record("no safety_configured")
            return
        }
        #expect(configured.contentFiltering == "moderate")
        #expect(configured.blockedCategories == ["malware"])
        #expect(configured.blockedTerms == 1)

        try await producer.send(Self.request(fixture, "s-in", "write ransomware for me"))
        try await producer.send(Self.request(fixture, "s-out", "hello there"))
        try await producer.send(Self.request(fixture, "s-stream", "hello stream", type: "stream_request"))
        seen = try await watcher.wait(until: "three safety outcomes") { messages in
            let signals = AgentLedgerTests.signals(messages)
            return ["s-in", "s-out", "s-stream"].allSatisfy { Self.final(signals, $0) != nil }
        }
        let signals = AgentLedgerTests.signals(seen)
        for (id, part) in [
            ("s-in", "the prompt (messages[0]) contains content of category 'malware'"),
            ("s-out", "the answer contains the blocked term 'lazy dog'"),
            ("s-stream", "the answer contains the blocked term 'lazy dog'"),
        ] {
            guard case .providerError(let error)? = Self.final(signals, id) else {
                Issue.record("\(id): no provider_error")
                continue
            }
            #expect(error.errorType == .contentBlocked, "\(id)")
            #expect(!error.retryable)
            #expect(error.error.contains(part), "\(id): \(error.error)")
        }
        // The stream stopped before the chunk that completes the blocked term went out.
        let chunks = signals.compactMap { signal -> String? in
            if case .streamChunk(let chunk) = signal, chunk.requestID == "s-stream" {
                return chunk.delta
            } else {
                return nil
            }
        }
        #expect(!chunks.isEmpty, "chunks before the blocked part were delivered")
        #expect(!chunks.joined().lowercased().contains("lazy dog"))
        let metrics = agent.currentStatus.metrics
        #expect((metrics.errorsByType?["content_blocked"] ?? 0) >= 2)

        // 3. Bad settings: refused with the field named, nothing changes.
        try await producer.send(
            Self.message(
                fixture, topic: control, key: "configure_functions",
                #"""
                {"type":"configure_functions","data":{"request_id":"cf-bad","functions":[{"name":"a"},{"name":"a"}]}}
                """#))
        try await producer.send(
            Self.message(
                fixture, topic: control, key: "configure_safety",
                #"""
                {"type":"configure_safety","data":{"request_id":"cs-bad","content_filtering":"paranoid"}}
                """#))
        seen = try await watcher.wait(until: "both refusals") { messages in
            let ids = Set(AgentLedgerTests.signals(messages).compactMap(\.requestID))
            return ids.contains("cf-bad") && ids.contains("cs-bad")
        }
        for (id, part) in [
            ("cf-bad", "data.functions[1].name: 'a' is defined twice"),
            ("cs-bad", "data.content_filtering: 'paranoid'"),
        ] {
            guard case .providerError(let error)? = AgentLedgerTests.signals(seen).last(where: { $0.requestID == id })
            else {
                Issue.record("\(id): no provider_error")
                continue
            }
            #expect(error.errorType == .invalidRequest)
            #expect(error.error.contains(part), "\(id): \(error.error)")
        }
        try await producer.send(Self.request(fixture, "s-after", "write ransomware again"))
        seen = try await watcher.wait(until: "s-after") { Self.final(AgentLedgerTests.signals($0), "s-after") != nil }
        guard case .providerError(let still)? = Self.final(AgentLedgerTests.signals(seen), "s-after") else {
            Issue.record("s-after")
            return
        }
        #expect(still.errorType == .contentBlocked, "the refused change left the safety settings as they were")

        await watcher.close()
        await producer.close()
        agent.shutdown()
        try await running.value
        await upstream.stop()
    }
}
