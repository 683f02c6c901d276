import Agent
import AgentCore
import Foundation
import Kafka
import KafkaTestSupport
import Logging
import Signals
import Testing

/// The provider agent against a real broker (Tansu) on loopback.
@Suite("Agent on Tansu", .timeLimit(.minutes(3)))
struct AgentIntegrationTests {
    struct Fixture {
        let broker: TansuBroker
        let provider: String
        let prefix: String
        var configuration: ProviderAgentConfiguration

        init(partitions: Int = 4) async throws {
            broker = try await TansuBroker.shared()
            provider = uniqueName("p").replacingOccurrences(of: "-", with: "")
            prefix = uniqueName("agent") + "."
            configuration = ProviderAgentConfiguration(
                provider: provider, instanceID: "i1", bootstrapServers: broker.bootstrapServers, topicPrefix: prefix,
                models: ["test-model"], defaultModel: "test-model", sessionTimeout: .seconds(6)
            )
            try await broker.createTopic(configuration.requestTopic, partitions: partitions)
            try await broker.createTopic(configuration.ledgerTopic, partitions: partitions)
            try await broker.createTopic(configuration.controlTopic, partitions: 1)
            for topic in [
                configuration.responseTopic, configuration.errorTopic, configuration.deadLetterTopic,
                configuration.statusTopic,
            ] {
                try await broker.createTopic(topic, partitions: 3)
            }
        }

        func request(_ id: String, temperature: String = "0.5") -> KafkaProducerMessage {
            let value =
                #"""
                {"type":"provider_request","data":{"request_id":"\#(id)","messages":[{"role":"user","content":"hi \#
                \#(id)"}],"model":"test-model","temperature":\#(temperature)}}
                """#
            return KafkaProducerMessage(topic: configuration.requestTopic, key: id, value: value)
        }
    }

    static var quietLogger: Logger {
        var logger = Logger(label: "agent-test")
        logger.logLevel = .warning
        return logger
    }

    /// Reads `topics` from the beginning and collects envelopes until `done` says so.
    static func collect(
        _ fixture: Fixture, topics: [String], from start: KafkaConsumerConfiguration.OffsetReset = .earliest,
        timeout: Duration = .seconds(90), until done: @escaping @Sendable ([KafkaConsumerMessage]) -> Bool
    ) async throws -> [KafkaConsumerMessage] {
        var configuration = KafkaConsumerConfiguration(
            bootstrapServers: fixture.broker.bootstrapServers, groupID: uniqueName("reader"))
        configuration.sessionTimeout = .seconds(6)
        configuration.offsetReset = start
        let consumer = try KafkaConsumer(configuration: configuration)
        try consumer.subscribe(topics: topics)
        let reader = Task { () throws -> [KafkaConsumerMessage] in
            var seen: [KafkaConsumerMessage] = []
            for try await message in consumer.messages {
                seen.append(message)
                if done(seen) { break }
            }
            return seen
        }
        let watchdog = Task {
            try await Task.sleep(for: timeout)
            reader.cancel()
        }
        let seen = try await reader.value
        watchdog.cancel()
        try await consumer.close()
        return seen
    }

    /// Reads the status topic from the beginning until a `provider_status` satisfies `done`; returns
    /// every status read, in order (a message that is not a status, or keyed other than `key` when
    /// given, fails the test).
    static func statuses(
        _ fixture: Fixture, topic: String, key: String? = nil, timeout: Duration = .seconds(90),
        until done: @escaping @Sendable (ProviderStatus) -> Bool
    ) async throws -> [ProviderStatus] {
        let messages = try await collect(fixture, topics: [topic], timeout: timeout) { seen in
            guard let last = seen.last,
                case .providerStatus(let status)? = try? SignalEnvelope.decode(last.value).signal
            else {
                return false
            }
            return done(status)
        }
        return try messages.map { message in
            if let key { #expect(message.keyString == key) }
            let signal = try SignalEnvelope.decode(message.value).signal
            guard case .providerStatus(let status) = signal else {
                Issue.record("not a provider_status on the status topic: \(signal)")
                throw CancellationError()
            }
            return status
        }
    }

    @Test("1,000 requests with random latencies and failures: exactly one answer each, committed offsets cover all")
    func thousandRequests() async throws {
        let fixture = try await Fixture()
        let provider = TestProvider(
            configuration: .init(
                name: fixture.provider,
                latency: .uniform(.zero, .milliseconds(20)),
                failures: .init(serverError: 0.1, timeout: 0.05)
            ))
        var configuration = fixture.configuration
        configuration.breaker = CircuitBreakerPolicy(consecutiveFailures: 10_000)
        configuration.maxInFlight = 200
        configuration.maxConcurrentCalls = 400
        let agent = try ProviderAgent(configuration: configuration, provider: provider, logger: Self.quietLogger)
        let running = Task { try await agent.run() }

        let producer = try KafkaProducer(configuration: .init(bootstrapServers: fixture.broker.bootstrapServers))
        let ids = (0..<1000).map { "req-\($0)" }
        for id in ids { try await producer.enqueue(fixture.request(id)) }
        try await producer.flush(timeout: .seconds(30))
        await producer.close()

        let answers = try await Self.collect(fixture, topics: [configuration.responseTopic, configuration.errorTopic]) {
            seen in
            Set(seen.compactMap { $0.keyString }).count >= 1000
        }
        var perRequest: [String: Int] = [:]
        var errors = 0
        for message in answers {
            let envelope = try SignalEnvelope.decode(message.value)
            guard let id = envelope.signal.requestID else { continue }
            perRequest[id, default: 0] += 1
            if case .providerError(let error) = envelope.signal {
                errors += 1
                #expect(error.retryable)
                #expect([ProviderErrorType.providerError, .timeout].contains(error.errorType))
            }
        }
        #expect(Set(perRequest.keys) == Set(ids), "every request answered")
        #expect(perRequest.values.allSatisfy { $0 == 1 }, "exactly one answer per request")
        #expect(errors > 50 && errors < 300, "about 15% simulated failures: \(errors)")
        #expect(provider.totalCalls == 1000)

        // The group's committed offsets reach the end of every partition.
        var probe = KafkaConsumerConfiguration(
            bootstrapServers: fixture.broker.bootstrapServers, groupID: configuration.groupID)
        probe.sessionTimeout = .seconds(6)
        let committedReader = try KafkaConsumer(configuration: probe)
        let partitions = (0..<4).map { TopicPartition(topic: configuration.requestTopic, partition: Int32($0)) }
        try await waitUntil("committed offsets cover all 1,000 requests", timeout: .seconds(30)) {
            let committed = try await committedReader.committed(partitions)
            return committed.values.reduce(0, +) == 1000
        }
        try await committedReader.close()
        agent.shutdown()
        try await running.value
    }

    @Test("bad input never blocks the partition: invalid_request naming the field, or the dead-letter topic")
    func badInput() async throws {
        let fixture = try await Fixture(partitions: 1)
        let provider = TestProvider(configuration: .init(name: fixture.provider))
        let agent = try ProviderAgent(
            configuration: fixture.configuration, provider: provider, logger: Self.quietLogger)
        let running = Task { try await agent.run() }
        let topic = fixture.configuration.requestTopic
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: fixture.broker.bootstrapServers))
        let bad: [KafkaProducerMessage] = [
            KafkaProducerMessage(topic: topic, key: "a", value: #"{"type":"provider_request"}"#),
            fixture.request("hot-1", temperature: #""hot""#),
            KafkaProducerMessage(topic: topic, key: "b", value: "[1,2,3]"),
            KafkaProducerMessage(topic: topic, key: Array("c".utf8), value: [0xFF, 0xFE, 0x7B]),
            KafkaProducerMessage(topic: topic, key: "d", value: ""),
            KafkaProducerMessage(topic: topic, key: "e", value: #"{"type":"no_such_signal","data":{}}"#),
            KafkaProducerMessage(
                topic: topic, key: "f",
                value: #"{"type":"provider_request","data":{"request_id":"arr-1","messages":"hello"}}"#),
            fixture.request("good-1"),
        ]
        for message in bad { try await producer.send(message) }
        await producer.close()

        let out = try await Self.collect(
            fixture,
            topics: [
                fixture.configuration.responseTopic, fixture.configuration.errorTopic,
                fixture.configuration.deadLetterTopic,
            ]
        ) { seen in seen.count >= 8 }
        let errors = try out.filter { $0.topic == fixture.configuration.errorTopic }.map {
            try SignalEnvelope.decode($0.value)
        }
        let dead = out.filter { $0.topic == fixture.configuration.deadLetterTopic }
        let responses = out.filter { $0.topic == fixture.configuration.responseTopic }

        func error(_ id: String) -> ProviderError? {
            for envelope in errors {
                if case .providerError(let error) = envelope.signal, error.requestID == id { return error }
            }
            return nil
        }
        #expect(error("hot-1")?.errorType == .invalidRequest)
        #expect(error("hot-1")?.error.contains("data.temperature") == true)
        #expect(error("arr-1")?.error.contains("data.messages") == true)
        #expect(dead.count == 5, "no request id readable: \(dead.map { $0.header("dlq-reason")?.stringValue ?? "" })")
        #expect(dead.allSatisfy { $0.header("dlq-reason") != nil })
        #expect(dead.contains { $0.value == [0xFF, 0xFE, 0x7B] }, "the raw value is kept")
        #expect(responses.count == 1, "the good request after the bad ones is answered")
        agent.shutdown()
        try await running.value
    }

    @Test(
        """
        graceful shutdown drains in-flight work and commits; a restarted agent continues without answering \
        anything twice
        """
    )
    func drainAndRestart() async throws {
        let fixture = try await Fixture(partitions: 2)
        let provider = TestProvider(configuration: .init(name: fixture.provider, latency: .fixed(.milliseconds(300))))
        var configuration = fixture.configuration
        configuration.maxInFlight = 8
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: fixture.broker.bootstrapServers))
        let ids = (0..<40).map { "drain-\($0)" }
        for id in ids { try await producer.enqueue(fixture.request(id)) }
        try await producer.flush(timeout: .seconds(30))
        await producer.close()

        let first = try ProviderAgent(configuration: configuration, provider: provider, logger: Self.quietLogger)
        let firstRun = Task { try await first.run() }
        try await waitUntil("the first agent is calling the provider", timeout: .seconds(60)) {
            provider.totalCalls >= 4
        }
        first.shutdown()
        try await firstRun.value
        let calledBeforeShutdown = provider.totalCalls
        #expect(calledBeforeShutdown < ids.count, "shutdown happened mid-run")

        let second = try ProviderAgent(configuration: configuration, provider: provider, logger: Self.quietLogger)
        let secondRun = Task { try await second.run() }
        let answers = try await Self.collect(fixture, topics: [configuration.responseTopic, configuration.errorTopic]) {
            seen in
            Set(seen.compactMap { $0.keyString }).count >= ids.count
        }
        second.shutdown()
        try await secondRun.value

        var perRequest: [String: Int] = [:]
        for message in answers { perRequest[message.keyString ?? "", default: 0] += 1 }
        #expect(Set(perRequest.keys) == Set(ids))
        #expect(
            perRequest.values.allSatisfy { $0 == 1 },
            "nothing answered twice across the restart: \(perRequest.filter { $0.value > 1 })")
        #expect(ids.allSatisfy { provider.calls(for: $0) == 1 }, "the provider was called once per request")
    }

    @Test("provider_status is published periodically, at once on a breaker transition, and a last time at shutdown")
    func statusPublishing() async throws {
        let fixture = try await Fixture(partitions: 1)
        let provider = TestProvider(configuration: .init(name: fixture.provider))
        provider.script([.serverError("boom 1"), .serverError("boom 2")])
        var configuration = fixture.configuration
        configuration.statusInterval = .seconds(60)  // only the first periodic status falls in this test
        configuration.breaker = CircuitBreakerPolicy(consecutiveFailures: 2, openTimeout: .seconds(60))
        let agent = try ProviderAgent(configuration: configuration, provider: provider, logger: Self.quietLogger)
        let running = Task { try await agent.run() }
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: fixture.broker.bootstrapServers))
        for id in ["s1", "s2"] { try await producer.send(fixture.request(id)) }
        await producer.close()

        let statuses = try await Self.statuses(fixture, topic: configuration.statusTopic, key: configuration.statusKey)
        {
            $0.circuitBreaker.state == "open"
        }
        #expect(statuses.allSatisfy { $0.statusIntervalMs == 60_000 }, "routers count missed intervals against it")
        #expect(statuses.first?.circuitBreaker.state == "closed", "the first periodic status, before any failure")
        let open = try #require(statuses.last)
        #expect(open.circuitBreaker.state == "open")
        #expect(open.metrics.totalRequests == 2)
        #expect(open.metrics.failedRequests == 2)
        #expect(open.instance == "i1")
        #expect(open.provider == fixture.provider)

        agent.shutdown()
        try await running.value
        let all = try await Self.statuses(fixture, topic: configuration.statusTopic) { $0.status == "stopped" }
        #expect(all.count >= statuses.count + 1)
    }

    @Test(
        """
        an open breaker whose timeout passed publishes half_open at once, without waiting for a request or the \
        status interval
        """
    )
    func halfOpenStatus() async throws {
        let fixture = try await Fixture(partitions: 1)
        let provider = TestProvider(configuration: .init(name: fixture.provider))
        provider.script([.serverError("boom 1"), .serverError("boom 2")])
        var configuration = fixture.configuration
        configuration.statusInterval = .seconds(120)  // only the first periodic status falls in this test
        configuration.breaker = CircuitBreakerPolicy(consecutiveFailures: 2, openTimeout: .seconds(2))
        let agent = try ProviderAgent(configuration: configuration, provider: provider, logger: Self.quietLogger)
        let running = Task { try await agent.run() }
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: fixture.broker.bootstrapServers))
        for id in ["h1", "h2"] { try await producer.send(fixture.request(id)) }
        await producer.close()

        let states = try await Self.statuses(fixture, topic: configuration.statusTopic, timeout: .seconds(60)) {
            $0.circuitBreaker.state == "half_open"
        }.map(\.circuitBreaker.state)
        #expect(states.last == "half_open")
        #expect(states.contains("open"), "open first, then half-open: \(states)")
        #expect(provider.totalCalls == 2, "no request reached the provider after the two failures")
        agent.shutdown()
        try await running.value
    }

    @Test("the provider-wide rate limit is divided by partitions owned and re-divided on every rebalance")
    func clusterShare() async throws {
        let fixture = try await Fixture(partitions: 4)
        var configuration = fixture.configuration
        configuration.statusInterval = .milliseconds(300)
        configuration.rateLimit = RateLimitPolicy(strategy: .slidingWindow, requestsPerWindow: 12, window: .seconds(60))
        var secondConfiguration = configuration
        secondConfiguration.instanceID = "i2"
        let first = try ProviderAgent(
            configuration: configuration, provider: TestProvider(configuration: .init(name: fixture.provider)),
            logger: Self.quietLogger)
        let second = try ProviderAgent(
            configuration: secondConfiguration, provider: TestProvider(configuration: .init(name: fixture.provider)),
            logger: Self.quietLogger)
        let firstRun = Task { try await first.run() }

        /// The latest status limit of each instance, read from the status topic until `done`.
        func limits(
            from start: KafkaConsumerConfiguration.OffsetReset = .earliest,
            until done: @escaping @Sendable ([String: Int]) -> Bool
        ) async throws -> [String: Int] {
            let seen = try await Self.collect(fixture, topics: [configuration.statusTopic], from: start) { messages in
                done(Self.latestLimits(messages))
            }
            return Self.latestLimits(seen)
        }

        let alone = try await limits { $0["i1"] == 12 }
        #expect(alone["i1"] == 12, "one instance owning all 4 partitions enforces the whole limit")

        let secondRun = Task { try await second.run() }
        let split = try await limits { $0["i1"] == 6 && $0["i2"] == 6 }
        #expect(split["i1"] == 6 && split["i2"] == 6, "two instances with 2 of 4 partitions each: 6 + 6, got \(split)")

        second.shutdown()
        try await secondRun.value
        // Only statuses published from now on count (earlier ones said 12 before the split).
        let back = try await limits(from: .latest) { $0["i1"] == 12 }
        #expect(back["i1"] == 12, "after the other leaves, the survivor enforces the whole limit again")
        first.shutdown()
        try await firstRun.value
    }

    static func latestLimits(_ messages: [KafkaConsumerMessage]) -> [String: Int] {
        var limits: [String: Int] = [:]
        for message in messages {
            guard case .providerStatus(let status)? = try? SignalEnvelope.decode(message.value).signal,
                let instance = status.instance, status.status != "stopped"
            else { continue }
            limits[instance] = status.rateLimiter.limit
        }
        return limits
    }
}
