import Agent
import AgentCore
import Foundation
import Kafka
import KafkaTestSupport
import Signals
import Testing

/// The special signals an agent answers, on Tansu: feature_check, get_provider_status,
/// stream_request.
@Suite("Agent special signals on Tansu", .timeLimit(.minutes(3)))
struct AgentSignalsTests {
    typealias Fixture = AgentIntegrationTests.Fixture

    @Test(
        """
        feature_check and get_provider_status are answered (reply_to honoured); a stream_request gets ordered \
        chunks, then the whole response
        """
    )
    func answersSpecialSignals() async throws {
        let fixture = try await Fixture(partitions: 2)
        let replies = fixture.prefix + "my.replies"
        try await fixture.broker.createTopic(replies, partitions: 1)
        let provider = TestProvider(
            configuration: .init(name: fixture.provider, latency: .fixed(.milliseconds(40)), streamChunks: 5))
        let agent = try ProviderAgent(
            configuration: fixture.configuration, provider: provider, logger: AgentIntegrationTests.quietLogger)
        let running = Task { try await agent.run() }
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: fixture.broker.bootstrapServers))
        let topic = fixture.configuration.requestTopic
        try await producer.send(
            KafkaProducerMessage(
                topic: topic, key: "f1",
                value: #"{"type":"feature_check","data":{"feature":"tools","request_id":"f1"}}"#))
        try await producer.send(
            KafkaProducerMessage(
                topic: topic, key: "f2",
                value:
                    #"{"type":"feature_check","data":{"feature":"vision","request_id":"f2","reply_to":"\#(replies)"}}"#)
        )
        try await producer.send(
            KafkaProducerMessage(
                topic: topic, key: "s1", value: #"{"type":"get_provider_status","data":{"request_id":"s1"}}"#,
                headers: [KafkaHeader(key: "reply-to", value: replies)]))
        try await producer.send(
            KafkaProducerMessage(
                topic: topic, key: "st1",
                value:
                    #"""
                    {"type":"stream_request","data":{"request_id":"st1","messages":[{"role":"user","content":\#
                    "tell me a story"}]}}
                    """#
            ))
        // A signal the request topic does not take is refused at its own reply_to.
        try await producer.send(
            KafkaProducerMessage(
                topic: topic, key: "cp1",
                value:
                    #"""
                    {"type":"configure_provider","data":{"request_id":"cp1","reply_to":"\#(replies)","models":\#
                    ["m"]}}
                    """#
            ))
        await producer.close()

        let watcher = try await TopicWatcher(
            bootstrapServers: fixture.broker.bootstrapServers, topics: [fixture.configuration.responseTopic, replies])
        let seen = try await watcher.wait(until: "all answers") { messages in
            let signals = AgentLedgerTests.signals(messages)
            let ids = Set(signals.compactMap(\.requestID))
            return ids.isSuperset(of: ["f1", "f2", "s1", "cp1"])
                && signals.contains { if case .providerResponse(let r) = $0 { r.requestID == "st1" } else { false } }
        }
        await watcher.close()
        let byTopic = Dictionary(grouping: seen, by: \.topic)
        let defaultAnswers = AgentLedgerTests.signals(byTopic[fixture.configuration.responseTopic] ?? [])
        let replied = AgentLedgerTests.signals(byTopic[replies] ?? [])

        guard case .featureCheckResult(let tools)? = defaultAnswers.first(where: { $0.requestID == "f1" }) else {
            Issue.record("f1 unanswered")
            return
        }
        #expect(tools.supported)
        #expect(tools.feature == "tools")
        guard case .featureCheckResult(let vision)? = replied.first(where: { $0.requestID == "f2" }) else {
            Issue.record("f2 not on its reply_to")
            return
        }
        #expect(!vision.supported, "the test provider has no vision")
        guard case .providerStatus(let status)? = replied.first(where: { $0.requestID == "s1" }) else {
            Issue.record("s1 not on its reply-to")
            return
        }
        #expect(status.provider == fixture.provider)
        #expect(status.instance == "i1")
        guard case .providerError(let refused)? = replied.first(where: { $0.requestID == "cp1" }) else {
            Issue.record("cp1 not refused at its reply_to")
            return
        }
        #expect(
            refused.errorType == .invalidRequest && refused.error.contains("configure_provider"), "\(refused.error)")

        let chunks = defaultAnswers.compactMap { signal -> StreamChunk? in
            if case .streamChunk(let chunk) = signal, chunk.requestID == "st1" { chunk } else { nil }
        }
        guard
            case .providerResponse(let final)? = defaultAnswers.first(where: {
                if case .providerResponse = $0 { $0.requestID == "st1" } else { false }
            })
        else {
            Issue.record("no final response")
            return
        }
        #expect(chunks.map(\.index) == Array(0..<chunks.count), "chunks in order")
        #expect(chunks.count == 6, "five deltas and the closing chunk")
        #expect(chunks.map(\.done) == [false, false, false, false, false, true], "only the last chunk says done")
        #expect(
            chunks.last?.delta == "" && chunks.last?.finishReason == final.finishReason,
            "the closing chunk carries the finish reason")
        #expect(chunks.map(\.delta).joined() == final.response, "the chunks add up to the whole response")
        let lastChunk = try #require(
            seen.lastIndex { message in
                if case .streamChunk? = try? SignalEnvelope.decode(message.value).signal { true } else { false }
            })
        let finalIndex = try #require(
            seen.firstIndex { message in
                if case .providerResponse(let r)? = try? SignalEnvelope.decode(message.value).signal {
                    r.requestID == "st1"
                } else {
                    false
                }
            })
        #expect(lastChunk < finalIndex, "the final response after the last chunk")
        agent.shutdown()
        try await running.value
    }
}

@Suite("Agent undeliverable answers on Tansu", .timeLimit(.minutes(3)))
struct AgentUndeliverableTests {
    typealias Fixture = AgentIntegrationTests.Fixture

    @Test(
        """
        an answer the broker refuses for good (reply_to an invalid topic) becomes a provider_error on the error \
        topic; the partition goes on
        """
    )
    func invalidReplyTo() async throws {
        let fixture = try await Fixture(partitions: 1)
        let provider = TestProvider(configuration: .init(name: fixture.provider))
        let agent = try ProviderAgent(
            configuration: fixture.configuration, provider: provider, logger: AgentIntegrationTests.quietLogger)
        let running = Task { try await agent.run() }
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: fixture.broker.bootstrapServers))
        let topic = fixture.configuration.requestTopic
        try await producer.send(
            KafkaProducerMessage(
                topic: topic, key: "u1",
                value:
                    #"""
                    {"type":"provider_request","data":{"request_id":"u1","reply_to":"not a valid \#
                    topic!","messages":[{"role":"user","content":"hi"}]}}
                    """#
            ))
        try await producer.send(fixture.request("u2"))
        await producer.close()
        let watcher = try await TopicWatcher(
            bootstrapServers: fixture.broker.bootstrapServers,
            topics: [fixture.configuration.responseTopic, fixture.configuration.errorTopic])
        let seen = try await watcher.wait(until: "both answered", timeout: .seconds(90)) {
            Set(AgentLedgerTests.answers($0).keys).isSuperset(of: ["u1", "u2"])
        }
        await watcher.close()
        let answers = AgentLedgerTests.answers(seen)
        guard case .providerError(let error)? = answers["u1"]?.first else {
            Issue.record("u1: \(String(describing: answers["u1"]))")
            return
        }
        #expect(error.error.contains("not a valid topic!"), "\(error.error)")
        #expect(!error.retryable)
        guard case .providerResponse? = answers["u2"]?.first else {
            Issue.record("u2 not answered")
            return
        }
        agent.shutdown()
        try await running.value
    }
}
