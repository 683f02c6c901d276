import Agent
import AgentCore
import Foundation
import Kafka
import KafkaTestSupport
import Signals
import Testing

/// The local signals sent to an agent whose provider manages no local models (the test
/// provider): each is answered with `provider_error` `unsupported` naming the signal.
@Suite("Agent local signals without local model management, on Tansu", .timeLimit(.minutes(3)))
struct AgentLocalSignalsTests {
    typealias Fixture = AgentIntegrationTests.Fixture

    @Test(
        "load_model, unload_model, get_resource_status, list_available_models → unsupported, to llm.errors or reply_to")
    func unsupportedWithoutLocalModelManagement() async throws {
        let fixture = try await Fixture(partitions: 1)
        let replies = fixture.prefix + "my.replies"
        try await fixture.broker.createTopic(replies, partitions: 1)
        let agent = try ProviderAgent(
            configuration: fixture.configuration, provider: TestProvider(configuration: .init(name: fixture.provider)),
            logger: AgentIntegrationTests.quietLogger)
        let running = Task { try await agent.run() }
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: fixture.broker.bootstrapServers))
        let topic = fixture.configuration.requestTopic
        for value in [
            #"{"type":"load_model","data":{"model":"llama3.2:3b","request_id":"l1"}}"#,
            #"{"type":"unload_model","data":{"model":"llama3.2:3b","request_id":"u1","reply_to":"\#(replies)"}}"#,
            #"{"type":"get_resource_status","data":{"request_id":"r1"}}"#,
            #"{"type":"list_available_models","data":{"request_id":"a1"}}"#,
        ] {
            try await producer.send(KafkaProducerMessage(topic: topic, key: "k", value: value))
        }
        await producer.close()
        let watcher = try await TopicWatcher(
            bootstrapServers: fixture.broker.bootstrapServers, topics: [fixture.configuration.errorTopic, replies])
        let seen = try await watcher.wait(until: "all four answered", timeout: .seconds(90)) { messages in
            Set(AgentLedgerTests.signals(messages).compactMap(\.requestID)).isSuperset(of: ["l1", "u1", "r1", "a1"])
        }
        await watcher.close()
        for (id, signal) in [
            ("l1", "load_model"), ("u1", "unload_model"), ("r1", "get_resource_status"),
            ("a1", "list_available_models"),
        ] {
            let message = try #require(seen.first { (try? SignalEnvelope.decode($0.value).signal.requestID) == id })
            #expect(message.topic == (id == "u1" ? replies : fixture.configuration.errorTopic))
            guard case .providerError(let error) = try SignalEnvelope.decode(message.value).signal else {
                Issue.record("\(id): not a provider_error")
                continue
            }
            #expect(error.errorType == .unsupported && !error.retryable)
            #expect(
                error.error.hasPrefix("\(signal) is not supported by provider '\(fixture.provider)'"), "\(error.error)")
        }
        agent.shutdown()
        try await running.value
    }
}
