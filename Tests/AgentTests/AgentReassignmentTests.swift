import Agent
import AgentCore
import Foundation
import Kafka
import KafkaTestSupport
import Signals
import Testing

/// A partition that leaves an agent and comes back, on Tansu.
@Suite("Agent: a partition moved away and back", .timeLimit(.minutes(3)))
struct AgentReassignmentTests {
    typealias Fixture = AgentIntegrationTests.Fixture

    /// The agent holds more fetched messages than it has in flight (the consumer hands them out
    /// in batches). When a partition moves to another member and comes back, what it fetched
    /// under the first assignment is stale: the partition is read again from the committed
    /// offset. Taken as current, stale copies would be answered twice and put offsets out of
    /// order in the offset tracker, so the partition's offsets would never be stored again.
    @Test(
        """
        a partition moved to another agent and back: one call and one answer per request, committed offsets cover \
        every request
        """
    )
    func movedAwayAndBack() async throws {
        let fixture = try await Fixture(partitions: 2)
        var configuration = fixture.configuration
        configuration.statusInterval = .seconds(60)
        configuration.maxInFlight = 2
        configuration.maxConcurrentCalls = 2
        var secondConfiguration = configuration
        secondConfiguration.instanceID = "i2"
        let latency = TestProvider.Configuration(name: fixture.provider, latency: .fixed(.milliseconds(100)))
        let firstProvider = TestProvider(configuration: latency)
        let secondProvider = TestProvider(configuration: latency)
        let first = try ProviderAgent(
            configuration: configuration, provider: firstProvider, logger: AgentIntegrationTests.quietLogger)
        let second = try ProviderAgent(
            configuration: secondConfiguration, provider: secondProvider, logger: AgentIntegrationTests.quietLogger)

        let producer = try KafkaProducer(configuration: .init(bootstrapServers: fixture.broker.bootstrapServers))
        let ids = (0..<400).map { "m-\($0)" }
        for id in ids { try await producer.enqueue(fixture.request(id)) }
        try await producer.flush(timeout: .seconds(30))
        await producer.close()

        let firstRun = Task { try await first.run() }
        try await waitUntil("the first agent is calling the provider", timeout: .seconds(60)) {
            firstProvider.totalCalls > 0
        }
        // A second member takes one partition and leaves again: the partition comes back.
        let secondRun = Task { try await second.run() }
        try await waitUntil("the second agent owns a partition", timeout: .seconds(60)) {
            second.currentStatus.ownedPartitions?.count == 1
        }
        try await waitUntil("the second agent answered some of it", timeout: .seconds(60)) {
            secondProvider.totalCalls >= 5
        }
        second.shutdown()
        try await secondRun.value
        try await waitUntil("the first agent owns both partitions again", timeout: .seconds(60)) {
            first.currentStatus.ownedPartitions?.count == 2
        }
        #expect(firstProvider.totalCalls < ids.count, "the partition came back before the first agent was done")

        var probe = KafkaConsumerConfiguration(
            bootstrapServers: fixture.broker.bootstrapServers, groupID: configuration.groupID)
        probe.sessionTimeout = .seconds(6)
        let committedReader = try KafkaConsumer(configuration: probe)
        let partitions = (0..<2).map { TopicPartition(topic: configuration.requestTopic, partition: Int32($0)) }
        // Counted, not compared with the partitions' end offsets: Tansu 0.6.0 reports the latest
        // offset as the last batch's base offset + 1 (docs/kafka.md).
        try await waitUntil("committed offsets cover all 400 requests", timeout: .seconds(90)) {
            try await committedReader.committed(partitions).values.reduce(0, +) == Int64(ids.count)
        }
        try await committedReader.close()

        let watcher = try await TopicWatcher(
            bootstrapServers: fixture.broker.bootstrapServers,
            topics: [configuration.responseTopic, configuration.errorTopic])
        let seen = try await watcher.wait(until: "every request answered") {
            Set(AgentLedgerTests.answers($0).keys).count >= ids.count
        }
        await watcher.close()
        let answers = AgentLedgerTests.answers(seen)
        #expect(Set(answers.keys) == Set(ids))
        #expect(
            answers.values.allSatisfy { $0.count == 1 },
            "one answer each: \(answers.filter { $0.value.count > 1 }.keys.sorted().prefix(10))")
        let notOnce = ids.filter { firstProvider.calls(for: $0) + secondProvider.calls(for: $0) != 1 }
        #expect(notOnce.isEmpty, "each request reached the provider exactly once: \(notOnce.prefix(10))")
        // How many fetched messages were stale depends on what the first agent held when the
        // partition moved (the mechanism itself: TansuConsumerGroupTests.staleAfterReassignment).
        let dropped = first.currentStatus.metrics.staleDropped ?? 0
        print(
            """
            moved away and back: \(firstProvider.totalCalls) calls by the first agent, \
            \(secondProvider.totalCalls) by the second, \(dropped) stale messages dropped
            """
        )
        first.shutdown()
        try await firstRun.value
    }
}
