import Agent
import AgentCore
import Foundation
import Kafka
import KafkaTestSupport
import Router
import RouterAgent
import Signals
import Testing

/// Retries that wait (a backoff, a provider's `retry_after`) on Tansu: they hold neither the
/// committed offset nor the reader.
@Suite("Router waits on Tansu", .timeLimit(.minutes(4)))
struct RouterWaitTests {
    /// The router group's committed offsets of `topic` (summed) and the topic's end.
    static func progress(_ fixture: RouterFixture, topic: String, partitions: Int) async throws -> (
        committed: Int64, end: Int64
    ) {
        var probe = KafkaConsumerConfiguration(
            bootstrapServers: fixture.broker.bootstrapServers, groupID: fixture.routerConfiguration.groupID)
        probe.sessionTimeout = .seconds(6)
        let reader = try KafkaConsumer(configuration: probe)
        let all = (0..<partitions).map { TopicPartition(topic: topic, partition: Int32($0)) }
        let committed = try await reader.committed(all).values.reduce(0, +)
        var end: Int64 = 0
        for partition in all { end += try await reader.watermarks(of: partition).high }
        try? await reader.close()
        return (committed, end)
    }

    @Test(
        """
        a retry waiting out a 20-s retry_after goes through the delay topic: the error's offset is committed \
        before the retry, which comes when due
        """
    )
    func longWaitDoesNotHoldTheOffset() async throws {
        var fixture = try await RouterFixture()
        fixture.routerConfiguration.routing = RoutingConfiguration(
            strategy: .priority, modelProviders: ["shared": ["alpha"]])
        fixture.routerConfiguration.reroute = RerouteSettings(maxAttempts: 2, backoffBase: .milliseconds(20))
        let test = TestProvider(
            configuration: .init(
                name: "alpha", models: [ModelInfo(id: "shared", contextWindow: 128_000)],
                latency: .fixed(.milliseconds(5))
            ))
        test.script([.rateLimited("429 from the test provider", retryAfter: .seconds(20))])
        let agent = try ProviderAgent(
            configuration: fixture.agentConfiguration("alpha", models: ["shared"]), provider: test,
            logger: RouterFixture.quietLogger)
        let alpha = Running(agent, task: Task { try await agent.run() }, stop: { agent.shutdown() })
        let router = try await fixture.startRouter()
        let replies = try await TopicWatcher(
            bootstrapServers: fixture.broker.bootstrapServers, topics: [fixture.replyTopic])
        let delays = try await TopicWatcher(
            bootstrapServers: fixture.broker.bootstrapServers, topics: [fixture.routerConfiguration.delayTopic])
        do {
            try await RouterIntegrationTests.waitForRegistry(router.service, ["alpha"])
            let producer = try KafkaProducer(configuration: .init(bootstrapServers: fixture.broker.bootstrapServers))
            let sent = ContinuousClock.now
            try await producer.send(fixture.clientRequest("slow", data: fixture.data("slow", #""model":"shared""#)))
            await producer.close()
            // The 429 is handed back; the router parks the retry in the delay topic and moves on.
            _ = try await delays.wait(until: "the retry in the delay topic", timeout: .seconds(30)) { !$0.isEmpty }
            let settled = fixture
            try await waitUntil("the router committed past the handed-back error", timeout: .seconds(60)) {
                let errors = try await Self.progress(
                    settled, topic: settled.routerConfiguration.errorTopic, partitions: 3)
                return errors.end > 0 && errors.committed == errors.end
            }
            // Before the retry: the wait holds no offset (held in memory, the commit would wait for it).
            #expect(test.calls(for: "slow") == 1, "committed while the retry still waits")
            #expect(ReplyBook(replies.messages).finals["slow"] == nil, "not answered before the retry is due")
            let answered = try await replies.wait(until: "the retried request answered", timeout: .seconds(90)) {
                ReplyBook($0).response("slow") != nil
            }
            let response = try #require(ReplyBook(answered).response("slow"))
            #expect(response.attempt == 2)
            #expect(ContinuousClock.now - sent >= .seconds(19), "the retry waited for the provider's retry_after")
            #expect(test.calls(for: "slow") == 2)
        } catch {
            await router.finish()
            await alpha.finish()
            await replies.close()
            await delays.close()
            throw error
        }
        await router.finish()
        await alpha.finish()
        await replies.close()
        await delays.close()
    }

    @Test(
        """
        a storm of 600 retries waiting 30 s does not park the reader: requests for a healthy provider are answered \
        meanwhile
        """
    )
    func stormDoesNotStallHealthyTraffic() async throws {
        var fixture = try await RouterFixture()
        fixture.routerConfiguration.routing = RoutingConfiguration(strategy: .priority)
        fixture.routerConfiguration.reroute = RerouteSettings(maxAttempts: 2, backoffBase: .milliseconds(20))
        fixture.routerConfiguration.maxInFlight = 64
        let alpha = try fixture.startAgent(
            "alpha", models: ["storm"], failures: .init(rateLimited: 1, rateLimitRetryAfter: .seconds(30)))
        let beta = try fixture.startAgent("beta", models: ["calm"])
        let router = try await fixture.startRouter()
        let replies = try await TopicWatcher(
            bootstrapServers: fixture.broker.bootstrapServers, topics: [fixture.replyTopic])
        do {
            try await RouterIntegrationTests.waitForRegistry(router.service, ["alpha", "beta"])
            let producer = try KafkaProducer(configuration: .init(bootstrapServers: fixture.broker.bootstrapServers))
            for n in 0..<600 {
                try await producer.enqueue(
                    fixture.clientRequest("storm-\(n)", data: fixture.data("storm-\(n)", #""model":"storm""#)))
            }
            try await producer.flush(timeout: .seconds(30))
            // Every storm request was tried once and now waits 30 s.
            try await waitUntil("600 retries waiting", timeout: .seconds(90)) {
                router.service.counters.routed >= 600 && router.service.counters.rerouted >= 600
            }
            let sent = ContinuousClock.now
            for n in 0..<200 {
                try await producer.enqueue(
                    fixture.clientRequest("calm-\(n)", data: fixture.data("calm-\(n)", #""model":"calm""#)))
            }
            try await producer.flush(timeout: .seconds(30))
            await producer.close()
            let seen = try await replies.wait(until: "200 calm answers", timeout: .seconds(90)) { messages in
                (0..<200).allSatisfy { ReplyBook(messages).response("calm-\($0)") != nil }
            }
            // Had the waiting retries held the 64 in-flight slots, no calm request would have been
            // taken in before the storm's retries came due and ended.
            let storm = ReplyBook(seen).finals.keys.filter { $0.hasPrefix("storm-") }
            #expect(
                storm.isEmpty,
                """
                the calm requests were answered while the storm still waited (\(storm.count) storm answers came \
                first; \(ContinuousClock.now - sent))
                """
            )
        } catch {
            await router.finish()
            await alpha.finish()
            await beta.finish()
            await replies.close()
            throw error
        }
        await router.finish()
        await alpha.finish()
        await beta.finish()
        await replies.close()
    }
}
