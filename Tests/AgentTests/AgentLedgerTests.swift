import Agent
import AgentCore
import Foundation
import Kafka
import KafkaTestSupport
import Logging
import Signals
import Testing
import WorkerRuntime

/// The ledger, rebalance hand-off, admission refusals and the breaker, on Tansu.
@Suite("Agent ledger and admission on Tansu", .timeLimit(.minutes(3)))
struct AgentLedgerTests {
    typealias Fixture = AgentIntegrationTests.Fixture

    static func signals(_ messages: [KafkaConsumerMessage]) -> [Signal] {
        messages.compactMap { try? SignalEnvelope.decode($0.value).signal }
    }

    static func answers(_ messages: [KafkaConsumerMessage]) -> [String: [Signal]] {
        var answers: [String: [Signal]] = [:]
        for signal in signals(messages) {
            switch signal {
            case .providerResponse, .providerError: answers[signal.requestID ?? "", default: []].append(signal)
            default: continue
            }
        }
        return answers
    }

    static func latestStatus(_ messages: [KafkaConsumerMessage], instance: String = "i1") -> ProviderStatus? {
        signals(messages).compactMap { signal -> ProviderStatus? in
            guard case .providerStatus(let status) = signal, status.instance == instance else { return nil }
            return status
        }.last
    }

    static func ledgerRecord(
        _ fixture: Fixture, id: String, state: String, offset: Int, answer: String? = nil
    ) throws -> KafkaProducerMessage {
        var record: [String: Any] = [
            "request_id": id, "attempt": 1, "state": state, "request_partition": 0, "request_offset": offset,
            "instance": "crashed-instance", "recorded_at_ms": 1_795_000_000_000,
        ]
        if let answer {
            record["answer"] = [
                "topic": fixture.configuration.responseTopic, "key": id, "value": answer,
                "headers": [["key": "signal-type", "value": "provider_response"]],
            ]
        }
        let value = try JSONSerialization.data(withJSONObject: record)
        return KafkaProducerMessage(
            topic: fixture.configuration.ledgerTopic, partition: 0, key: Array("\(id)/1".utf8), value: Array(value))
    }

    @Test(
        """
        an assignment reads the ledger from the dedup window on, not the whole retention: older records are \
        skipped, recent ones answer
        """
    )
    func ledgerWindow() async throws {
        let fixture = try await Fixture(partitions: 1)
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: fixture.broker.bootstrapServers))
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        func record(_ id: String, at ms: Int64, response: String) -> KafkaProducerMessage {
            let answer = KafkaProducerMessage(
                topic: fixture.configuration.responseTopic, key: Array(id.utf8),
                value: Array(
                    #"""
                    {"type":"provider_response","data":{"request_id":"\#(id)","response":"\#(response)",\#
                    "provider":"x","model":"test-model","latency_ms":1}}
                    """#
                    .utf8)
            )
            return JournalRecord(
                key: JournalKey(requestID: id, attempt: 1), state: .done, requestPartition: 0, requestOffset: 0,
                worker: "agent/x/gone",
                recordedAtMs: ms, outputs: [JournalRecord.Output(answer)]
            ).message(topic: fixture.configuration.ledgerTopic)
        }
        // Two hours of old history, then one record a minute old.
        for n in 0..<20_000 {
            try await producer.enqueue(record("old-\(n)", at: now - 7_200_000 + Int64(n), response: "old"))
        }
        try await producer.send(record("recent-1", at: now - 60_000, response: "from the ledger"))
        for id in ["old-5", "recent-1", "new-1"] { try await producer.enqueue(fixture.request(id)) }
        try await producer.flush(timeout: .seconds(60))
        await producer.close()

        let provider = TestProvider(configuration: .init(name: fixture.provider))
        let agent = try ProviderAgent(
            configuration: fixture.configuration, provider: provider, logger: AgentIntegrationTests.quietLogger)
        let running = Task { try await agent.run() }
        let watcher = try await TopicWatcher(
            bootstrapServers: fixture.broker.bootstrapServers, topics: [fixture.configuration.responseTopic])
        let seen = try await watcher.wait(until: "3 answers") { Self.signals($0).count >= 3 }
        await watcher.close()
        agent.shutdown()
        try await running.value

        let answers = Self.answers(seen)
        guard case .providerResponse(let recent)? = answers["recent-1"]?.first else {
            Issue.record("recent-1 unanswered")
            return
        }
        #expect(recent.response == "from the ledger", "recorded within the window: answered from the ledger")
        #expect(provider.calls(for: "recent-1") == 0)
        #expect(provider.calls(for: "old-5") == 1, "recorded two hours ago, outside the window: called again")
        #expect(provider.calls(for: "new-1") == 1)
        let reads = agent.ledgerReads
        #expect(reads.builds == 1)
        #expect(reads.records < 100, "the 20,000 old records were skipped by timestamp, not read: \(reads.records)")
    }

    @Test(
        """
        a redelivered request already answered in the ledger is answered from it without calling the provider; one \
        only started is called again and counted
        """
    )
    func ledgerReplay() async throws {
        let fixture = try await Fixture(partitions: 1)
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: fixture.broker.bootstrapServers))
        // Requests at offsets 0...3 (the last one is a second attempt of the first).
        for id in ["l1", "l2", "l3"] { try await producer.send(fixture.request(id)) }
        let secondAttempt =
            #"""
            {"type":"provider_request","data":{"request_id":"l1","attempt":2,"messages":[{"role":"user","content":\#
            "again"}]}}
            """#
        try await producer.send(
            KafkaProducerMessage(topic: fixture.configuration.requestTopic, key: "l1", value: secondAttempt))
        // What a crashed previous owner left in the ledger: l1 answered, l2 started.
        let recorded =
            #"""
            {"type":"provider_response","data":{"request_id":"l1","response":"from the \#
            ledger","provider":"x","model":"test-model","latency_ms":1}}
            """#
        try await producer.send(Self.ledgerRecord(fixture, id: "l1", state: "started", offset: 0))
        try await producer.send(Self.ledgerRecord(fixture, id: "l1", state: "answered", offset: 0, answer: recorded))
        try await producer.send(Self.ledgerRecord(fixture, id: "l2", state: "started", offset: 1))
        try await producer.send(
            KafkaProducerMessage(
                topic: fixture.configuration.ledgerTopic, partition: 0, key: "junk", value: "not a ledger record"))
        await producer.close()

        let provider = TestProvider(configuration: .init(name: fixture.provider))
        let agent = try ProviderAgent(
            configuration: fixture.configuration, provider: provider, logger: AgentIntegrationTests.quietLogger)
        let running = Task { try await agent.run() }
        let watcher = try await TopicWatcher(
            bootstrapServers: fixture.broker.bootstrapServers,
            topics: [fixture.configuration.responseTopic, fixture.configuration.errorTopic])
        let seen = try await watcher.wait(until: "4 answers") { Self.signals($0).count >= 4 }
        await watcher.close()

        let answers = Self.answers(seen)
        let l1 = try #require(answers["l1"])
        #expect(l1.count == 2, "attempt 1 from the ledger, attempt 2 from the provider")
        let responses = l1.compactMap { signal -> String? in
            if case .providerResponse(let response) = signal { response.response } else { nil }
        }
        #expect(
            responses.sorted() == ["echo(test-model): again", "from the ledger"],
            "attempt 1's recorded answer, byte for byte; attempt 2 called")
        #expect(answers["l2"]?.count == 1)
        #expect(answers["l3"]?.count == 1)
        #expect(provider.calls(for: "l1") == 1, "only attempt 2 reached the provider")
        #expect(provider.calls(for: "l2") == 1, "started but never answered: called again")
        #expect(provider.calls(for: "l3") == 1)

        let status = agent.currentStatus
        #expect(status.metrics.ledgerRepeats == 1)
        #expect(status.metrics.providerRecalls == 1)
        agent.shutdown()
        try await running.value

        // The agent's own ledger records: started + done for every call it made, on partition 0.
        let worker = fixture.configuration.source
        let ledger = try await TopicWatcher(
            bootstrapServers: fixture.broker.bootstrapServers, topics: [fixture.configuration.ledgerTopic])
        // Batches: one record per line.
        @Sendable func lines(_ messages: [KafkaConsumerMessage]) -> [[String: Any]] {
            messages.flatMap { $0.value.split(separator: 0x0A) }
                .compactMap { try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any] }
                .filter { $0["worker"] as? String == worker }
        }
        let records = try await ledger.wait(until: "the agent's ledger records") { lines($0).count >= 6 }
        await ledger.close()
        let mine = lines(records)
        #expect(mine.count == 6, "started + done for l1#2, l2, l3")
        let done = mine.filter { $0["state"] as? String == "done" }
        #expect(done.count == 3)
        #expect(
            done.allSatisfy {
                (($0["outputs"] as? [[String: Any]])?.first?["value"] as? [String: Any])?["type"] as? String
                    == "provider_response"
            },
            "each done record carries its answer signal")
        #expect(records.allSatisfy { $0.partition == 0 })
    }

    @Test(
        """
        a rebalance hands in-flight work over: the old owner finishes it, the new owner never calls the provider \
        for it again
        """
    )
    func rebalanceHandOff() async throws {
        let fixture = try await Fixture(partitions: 4)
        var configuration = fixture.configuration
        configuration.statusInterval = .seconds(60)
        var secondConfiguration = configuration
        secondConfiguration.instanceID = "i2"
        let slow = TestProvider.Configuration(name: fixture.provider, latency: .fixed(.seconds(6)))
        let firstProvider = TestProvider(configuration: slow)
        let secondProvider = TestProvider(configuration: slow)
        let first = try ProviderAgent(
            configuration: configuration, provider: firstProvider, logger: AgentIntegrationTests.quietLogger)
        let second = try ProviderAgent(
            configuration: secondConfiguration, provider: secondProvider, logger: AgentIntegrationTests.quietLogger)
        let firstRun = Task { try await first.run() }
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: fixture.broker.bootstrapServers))
        let ids = (0..<40).map { "h-\($0)" }
        for id in ids { try await producer.enqueue(fixture.request(id)) }
        try await producer.flush(timeout: .seconds(10))
        await producer.close()
        try await waitUntil("the first agent is calling the provider") { firstProvider.totalCalls > 0 }
        let secondRun = Task { try await second.run() }

        // Once the second agent owns its share and the group's committed offsets cover all 40
        // requests, nothing is left to redeliver: every answer that will ever exist is out.
        try await waitUntil("the second agent owns 2 partitions", timeout: .seconds(60)) {
            second.currentStatus.ownedPartitions?.count == 2
        }
        var probe = KafkaConsumerConfiguration(
            bootstrapServers: fixture.broker.bootstrapServers, groupID: configuration.groupID)
        probe.sessionTimeout = .seconds(6)
        let committedReader = try KafkaConsumer(configuration: probe)
        let partitions = (0..<4).map { TopicPartition(topic: configuration.requestTopic, partition: Int32($0)) }
        try await waitUntil("committed offsets cover all 40 requests", timeout: .seconds(60)) {
            try await committedReader.committed(partitions).values.reduce(0, +) == 40
        }
        try await committedReader.close()
        let watcher = try await TopicWatcher(
            bootstrapServers: fixture.broker.bootstrapServers,
            topics: [configuration.responseTopic, configuration.errorTopic])
        let seen = try await watcher.wait(until: "40 answers") { Set(Self.answers($0).keys).count >= 40 }
        await watcher.close()
        let answers = Self.answers(seen)
        #expect(Set(answers.keys) == Set(ids))
        #expect(
            answers.values.allSatisfy { $0.count == 1 },
            "one answer each: \(answers.filter { $0.value.count > 1 }.keys.sorted())")
        let twice = ids.filter { firstProvider.calls(for: $0) + secondProvider.calls(for: $0) != 1 }
        #expect(twice.isEmpty, "each request reached the provider exactly once: \(twice)")
        #expect(second.currentStatus.metrics.providerRecalls == 0)
        second.shutdown()
        first.shutdown()
        try await secondRun.value
        try await firstRun.value
    }

    @Test("refusals are immediate provider_errors with retryable and retry_after_ms")
    func rateLimitRefusals() async throws {
        let fixture = try await Fixture(partitions: 1)
        var configuration = fixture.configuration
        configuration.rateLimit = RateLimitPolicy(strategy: .fixedWindow, requestsPerWindow: 5, window: .seconds(60))
        let provider = TestProvider(configuration: .init(name: fixture.provider))
        let agent = try ProviderAgent(
            configuration: configuration, provider: provider, logger: AgentIntegrationTests.quietLogger)
        let running = Task { try await agent.run() }
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: fixture.broker.bootstrapServers))
        let ids = (0..<20).map { "r-\($0)" }
        for id in ids { try await producer.send(fixture.request(id)) }
        await producer.close()
        let watcher = try await TopicWatcher(
            bootstrapServers: fixture.broker.bootstrapServers,
            topics: [configuration.responseTopic, configuration.errorTopic])
        let seen = try await watcher.wait(until: "20 answers") { Self.answers($0).count >= 20 }
        await watcher.close()
        var responses = 0
        var refusals: [ProviderError] = []
        for (_, signals) in Self.answers(seen) {
            for signal in signals {
                switch signal {
                case .providerResponse: responses += 1
                case .providerError(let error): refusals.append(error)
                default: break
                }
            }
        }
        #expect(responses == 5, "the window admits 5")
        #expect(refusals.count == 15)
        for refusal in refusals {
            #expect(refusal.errorType == .rateLimited)
            #expect(refusal.retryable)
            let retryAfter = try #require(refusal.retryAfterMs)
            #expect(retryAfter > 0 && retryAfter <= 60_000, "retry_after_ms within the window: \(retryAfter)")
        }
        #expect(provider.totalCalls == 5, "refused requests never reach the provider")
        #expect(agent.currentStatus.metrics.rejectedRequests == 15)
        agent.shutdown()
        try await running.value
    }

    @Test("the breaker opens on upstream failures, refuses with circuit_open, and recovers through half-open")
    func breakerRecovers() async throws {
        let fixture = try await Fixture(partitions: 1)
        var configuration = fixture.configuration
        // Open for 10 s: b4 must still meet it open when CI starts every suite at once.
        configuration.breaker = CircuitBreakerPolicy(
            consecutiveFailures: 3, openTimeout: .seconds(10), halfOpenMaxProbes: 1, halfOpenSuccessesToClose: 1)
        let provider = TestProvider(configuration: .init(name: fixture.provider))
        provider.script([.serverError("down 1"), .serverError("down 2"), .serverError("down 3")])
        let agent = try ProviderAgent(
            configuration: configuration, provider: provider, logger: AgentIntegrationTests.quietLogger)
        let running = Task { try await agent.run() }
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: fixture.broker.bootstrapServers))
        let watcher = try await TopicWatcher(
            bootstrapServers: fixture.broker.bootstrapServers,
            topics: [configuration.responseTopic, configuration.errorTopic])

        func answer(_ id: String) async throws -> Signal {
            try await producer.send(fixture.request(id))
            let seen = try await watcher.wait(until: "the answer to \(id)") { Self.answers($0)[id] != nil }
            return try #require(Self.answers(seen)[id]?.first)
        }
        for id in ["b1", "b2", "b3"] {
            guard case .providerError(let error) = try await answer(id) else {
                Issue.record("\(id) should fail")
                return
            }
            #expect(error.errorType == .providerError)
        }
        #expect(agent.currentStatus.circuitBreaker.state == "open")
        guard case .providerError(let refused) = try await answer("b4") else {
            Issue.record("b4 should be refused")
            return
        }
        #expect(refused.errorType == .circuitOpen)
        #expect(refused.retryable)
        #expect((refused.retryAfterMs ?? 0) > 0 && (refused.retryAfterMs ?? 0) <= 10_000)
        #expect(provider.calls(for: "b4") == 0)

        // After the open timeout a probe is admitted; it succeeds and closes the breaker.
        var recovered = false
        for attempt in 0..<100 where !recovered {
            if case .providerResponse = try await answer("probe-\(attempt)") {
                recovered = true
            } else {
                try await Task.sleep(for: .milliseconds(500))
            }
        }
        #expect(recovered)
        let status = agent.currentStatus
        #expect(status.circuitBreaker.state == "closed")
        let path = (status.circuitBreaker.recentTransitions ?? []).map { "\($0.from)->\($0.to)" }
        #expect(path == ["closed->open", "open->half_open", "half_open->closed"], "\(path)")
        #expect(status.circuitBreaker.transitions == 3)
        await watcher.close()
        await producer.close()
        agent.shutdown()
        try await running.value
    }
}

@Suite("Agent drain deadline on Tansu", .timeLimit(.minutes(3)))
struct AgentDrainDeadlineTests {
    typealias Fixture = AgentIntegrationTests.Fixture

    @Test(
        """
        at shutdown, calls still running at the drain deadline are abandoned unanswered; the next agent answers \
        them, counting them as recalls
        """
    )
    func drainDeadline() async throws {
        let fixture = try await Fixture(partitions: 1)
        var configuration = fixture.configuration
        configuration.drainTimeout = .milliseconds(500)
        let stuck = TestProvider(configuration: .init(name: fixture.provider, latency: .fixed(.seconds(600))))
        let agent = try ProviderAgent(
            configuration: configuration, provider: stuck, logger: AgentIntegrationTests.quietLogger)
        let running = Task { try await agent.run() }
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: fixture.broker.bootstrapServers))
        let ids = (0..<5).map { "d-\($0)" }
        for id in ids { try await producer.send(fixture.request(id)) }
        await producer.close()
        try await waitUntil("all 5 calls are running") { stuck.totalCalls == 5 }

        let stopping = ContinuousClock.now
        agent.shutdown()
        try await running.value
        let took = ContinuousClock.now - stopping
        #expect(took < .seconds(15), "the drain deadline bounds the shutdown: \(took)")

        let watcher = try await TopicWatcher(
            bootstrapServers: fixture.broker.bootstrapServers,
            topics: [configuration.responseTopic, configuration.errorTopic])
        // A second agent with a working provider takes over: it answers all five, each a recall.
        var second = configuration
        second.instanceID = "i2"
        let working = TestProvider(configuration: .init(name: fixture.provider))
        let next = try ProviderAgent(
            configuration: second, provider: working, logger: AgentIntegrationTests.quietLogger)
        let nextRunning = Task { try await next.run() }
        let seen = try await watcher.wait(until: "5 answers") { AgentLedgerTests.answers($0).count >= 5 }
        await watcher.close()
        let answers = AgentLedgerTests.answers(seen)
        #expect(Set(answers.keys) == Set(ids))
        #expect(
            answers.values.allSatisfy { $0.count == 1 }, "the abandoned calls were never answered by the first agent")
        #expect(
            answers.values.allSatisfy {
                if case .providerResponse(let response) = $0.first { response.instance == "i2" } else { false }
            })
        #expect(next.currentStatus.metrics.providerRecalls == 5, "started in the ledger, never answered: recalls")
        next.shutdown()
        try await nextRunning.value
    }
}
