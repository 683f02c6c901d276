import Agent
import AgentCore
import Foundation
import Kafka
import KafkaTestSupport
import Logging
import Signals
import Testing

/// The control topic `llm.control.<provider>` on Tansu.
@Suite("Agent control topic on Tansu", .timeLimit(.minutes(3)))
struct AgentControlTests {
    typealias Fixture = AgentIntegrationTests.Fixture

    static func control(_ fixture: Fixture, key: String, _ json: String) -> KafkaProducerMessage {
        KafkaProducerMessage(
            topic: fixture.configuration.controlTopic, key: key,
            value: #"{"type":"configure_provider","data":\#(json)}"#)
    }

    @Test(
        """
        an agent starts from the configuration on the control topic and applies live changes, answering each with \
        provider_configured
        """
    )
    func startsFromAndFollowsTheControlTopic() async throws {
        let fixture = try await Fixture(partitions: 1)
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: fixture.broker.bootstrapServers))
        // Written before the agent exists: an old limit, replaced by a newer one under the same key.
        try await producer.send(
            Self.control(
                fixture, key: "rate_limit",
                #"{"rate_limit":{"strategy":"fixed_window","requests_per_window":100,"window_ms":60000}}"#))
        try await producer.send(
            Self.control(
                fixture, key: "rate_limit",
                #"{"rate_limit":{"strategy":"fixed_window","requests_per_window":3,"window_ms":60000}}"#))
        try await producer.send(
            Self.control(
                fixture, key: "prices",
                #"{"prices":{"test-model":{"input_per_million":1000000,"output_per_million":0}}}"#))
        // Sections in an order only their latest values make consistent: replayed merged.
        try await producer.send(Self.control(fixture, key: "default_model", #"{"default_model":"late-model"}"#))
        try await producer.send(Self.control(fixture, key: "models", #"{"models":["test-model","late-model"]}"#))
        // A section breaking a rule (the breaker's minimum above its window, with a threshold) is
        // skipped at the replay; the others still apply.
        let breaker = #"{"circuit_breaker":{"failure_rate_threshold":0.5,"minimum_requests":60}}"#
        try await producer.send(Self.control(fixture, key: "circuit_breaker", breaker))

        let provider = TestProvider(configuration: .init(name: fixture.provider))
        let agent = try ProviderAgent(
            configuration: fixture.configuration, provider: provider, logger: AgentIntegrationTests.quietLogger)
        let running = Task { try await agent.run() }
        let watcher = try await TopicWatcher(
            bootstrapServers: fixture.broker.bootstrapServers,
            topics: [
                fixture.configuration.responseTopic, fixture.configuration.errorTopic,
                fixture.configuration.deadLetterTopic,
            ]
        )
        for id in (0..<5).map({ "c-\($0)" }) { try await producer.send(fixture.request(id)) }
        let seen = try await watcher.wait(until: "5 answers") { AgentLedgerTests.answers($0).count >= 5 }
        let answers = AgentLedgerTests.answers(seen).values.flatMap { $0 }
        let responses = answers.compactMap { signal -> ProviderResponse? in
            if case .providerResponse(let response) = signal { return response } else { return nil }
        }
        #expect(responses.count == 3, "the limit from the control topic (3 per window), not the older 100")
        #expect(responses.allSatisfy { ($0.costUSD ?? 0) > 0 }, "prices from the control topic")
        var status = agent.currentStatus
        #expect(status.configVersion == 5, "five sections applied; the breaker section broke a rule and was skipped")
        #expect(status.models == ["late-model", "test-model"], "models and default_model applied whatever their order")
        #expect(status.rateLimiter.providerLimit == 3)

        // A live change with a request id: applied by the running agent and answered.
        let change =
            #"""
            {"request_id":"cfg-2","rate_limit":{"strategy":"sliding_window","requests_per_window":50,"window_ms":\#
            1000},"models":["test-model","other-model"],"default_model":"test-model","max_concurrent_calls":7}
            """#
        try await producer.send(Self.control(fixture, key: "rate_limit", change))
        let configured = try await watcher.wait(until: "provider_configured cfg-2") { messages in
            AgentLedgerTests.signals(messages).contains { $0.requestID == "cfg-2" }
        }
        guard
            case .providerConfigured(let answer)? = AgentLedgerTests.signals(configured).first(where: {
                $0.requestID == "cfg-2"
            })
        else {
            Issue.record("no provider_configured")
            return
        }
        #expect(answer.error == nil)
        #expect(answer.applied == ["default_model", "max_concurrent_calls", "models", "rate_limit"])
        #expect(answer.version == 6)
        #expect(answer.instance == "i1")
        status = agent.currentStatus
        #expect(status.rateLimiter.providerLimit == 50)
        #expect(status.rateLimiter.strategy == "sliding_window")
        #expect(status.models == ["other-model", "test-model"])

        // Changes that cannot be applied are answered with the rule's words and change nothing;
        // without a request id, the message is dead-lettered.
        let refusals = [
            "cfg-bad": (#"{"request_id":"cfg-bad","models":[]}"#, "data.models: must list at least one model"),
            "cfg-unknown": (
                #"{"request_id":"cfg-unknown","default_model":"nope"}"#,
                "data.default_model: 'nope' is not one of models (other-model, test-model)"
            ),
            "cfg-range": (
                #"{"request_id":"cfg-range","rate_limit":{"strategy":"fixed_window","window_ms":0}}"#,
                "data.rate_limit.window_ms: must be >= 1, got 0"
            ),
        ]
        for (id, (data, _)) in refusals.sorted(by: { $0.key < $1.key }) {
            try await producer.send(Self.control(fixture, key: id, data))
        }
        try await producer.send(Self.control(fixture, key: "max_concurrent_calls", #"{"max_concurrent_calls":0}"#))
        let refused = try await watcher.wait(until: "refusals answered, the one without id dead-lettered") { messages in
            let ids = Set(AgentLedgerTests.signals(messages).compactMap(\.requestID))
            let deadLetters = messages.filter { $0.topic == fixture.configuration.deadLetterTopic }
            return Set(refusals.keys).isSubset(of: ids) && !deadLetters.isEmpty
        }
        for (id, (_, expected)) in refusals.sorted(by: { $0.key < $1.key }) {
            guard
                case .providerConfigured(let answer)? = AgentLedgerTests.signals(refused).first(where: {
                    $0.requestID == id
                })
            else {
                Issue.record("\(id): no provider_configured")
                continue
            }
            #expect(answer.applied.isEmpty, "\(id)")
            #expect(answer.error == expected, "\(id)")
        }
        let deadLetter = try #require(refused.first { $0.topic == fixture.configuration.deadLetterTopic })
        let dead = String(decoding: deadLetter.value, as: UTF8.self)
        #expect(dead == #"{"type":"configure_provider","data":{"max_concurrent_calls":0}}"#)
        #expect(agent.currentStatus.configVersion == 6)
        #expect(agent.currentStatus.models == ["other-model", "test-model"])
        await watcher.close()
        await producer.close()
        agent.shutdown()
        try await running.value
    }

    @Test(
        """
        an agent refuses to start without its ledger or control topic, or with a ledger of another partition \
        count, naming the topic
        """
    )
    func missingTopics() async throws {
        let broker = try await TansuBroker.shared()
        let provider = uniqueName("p").replacingOccurrences(of: "-", with: "")
        let configuration = ProviderAgentConfiguration(
            provider: provider, instanceID: "i1", bootstrapServers: broker.bootstrapServers,
            topicPrefix: uniqueName("agent") + ".",
            models: ["test-model"], sessionTimeout: .seconds(6)
        )
        try await broker.createTopic(configuration.requestTopic, partitions: 2)
        func start() async -> KafkaError? {
            do {
                let agent = try ProviderAgent(
                    configuration: configuration, provider: TestProvider(), logger: AgentIntegrationTests.quietLogger)
                try await agent.run()
                return nil
            } catch let error as KafkaError {
                return error
            } catch {
                return nil
            }
        }
        var error = await start()
        #expect(error?.code == .unknownTopic)
        #expect(error?.message.contains(configuration.ledgerTopic) == true, "\(String(describing: error))")
        try await broker.createTopic(configuration.ledgerTopic, partitions: 3)
        error = await start()
        #expect(error?.code == .invalidConfiguration)
        let partitions = error?.message.firstMatch(of: /(\d+) partitions/).flatMap { Int($0.1) }
        #expect(partitions == 3, "\(String(describing: error))")
    }
}
