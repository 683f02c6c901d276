import Foundation
import Kafka
import KafkaTestSupport
import Testing

/// The same core round trip on librdkafka's mock cluster, plus fault injection.
@Suite("Embedded broker (mock cluster)", .timeLimit(.minutes(3)))
struct EmbeddedClusterTests {
    @Test("round trip: awaited send, then a group consumer receives it with key and headers")
    func roundTrip() async throws {
        let cluster = try EmbeddedKafkaCluster(brokers: 1)
        try cluster.createTopic(KafkaTopicSpec(name: "llm.requests.openai", partitions: 3))
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: cluster.bootstrapServers))
        let receipt = try await producer.send(
            KafkaProducerMessage(
                topic: "llm.requests.openai", key: "req-1", value: "hello",
                headers: [KafkaHeader(key: "signal-type", value: "provider_request")])
        )
        #expect(receipt.offset == 0)
        await producer.close()

        var configuration = KafkaConsumerConfiguration(
            bootstrapServers: cluster.bootstrapServers, groupID: "llm-provider-openai")
        configuration.sessionTimeout = .seconds(6)
        let consumer = try KafkaConsumer(configuration: configuration)
        try consumer.subscribe(topics: ["llm.requests.openai"])
        var received: KafkaConsumerMessage?
        for try await message in consumer.messages {
            received = message
            try consumer.storeOffset(for: message)
            break
        }
        try await consumer.commit()
        try await consumer.close()
        #expect(received?.valueString == "hello")
        #expect(received?.keyString == "req-1")
        #expect(received?.partition == receipt.partition)
        #expect(received?.header("signal-type")?.stringValue == "provider_request")
    }

    @Test(
        """
        a broker goes down and comes back during sends: each send succeeds or throws, none hangs, nothing \
        acknowledged is lost
        """
    )
    func brokerDownAndUpDuringSends() async throws {
        let cluster = try EmbeddedKafkaCluster(brokers: 1)
        let topic = "faults"
        try cluster.createTopic(KafkaTopicSpec(name: topic, partitions: 2))
        var configuration = KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers)
        // Generous: under a loaded test run, reconnecting after the 2 s outage can take seconds.
        configuration.deliveryTimeout = .seconds(20)
        configuration.common.properties["reconnect.backoff.max.ms"] = "500"
        let producer = try KafkaProducer(configuration: configuration)
        let bound = Duration.seconds(20 + 5)

        let total = 300
        let outcomes = try await withThrowingTaskGroup(of: (Int, Bool, Duration).self) { group in
            for index in 0..<total {
                group.addTask {
                    let start = ContinuousClock.now
                    do {
                        try await producer.send(
                            KafkaProducerMessage(topic: topic, key: "k\(index)", value: "m\(index)"))
                        return (index, true, ContinuousClock.now - start)
                    } catch {
                        return (index, false, ContinuousClock.now - start)
                    }
                }
                if index == 100 {
                    try cluster.setBrokerDown(1)
                    try await Task.sleep(for: .seconds(2))
                    try cluster.setBrokerUp(1)
                }
            }
            var results: [(Int, Bool, Duration)] = []
            for try await result in group { results.append(result) }
            return results
        }
        await producer.close()
        #expect(outcomes.count == total, "every send returned")
        #expect(outcomes.allSatisfy { $0.2 <= bound }, "no send took longer than the delivery timeout plus margin")
        let acknowledged = Set(outcomes.filter(\.1).map { "m\($0.0)" })
        #expect(acknowledged.count > total / 2, "most sends succeed once the broker is back: \(acknowledged.count)")

        var consumerConfiguration = KafkaConsumerConfiguration(
            bootstrapServers: cluster.bootstrapServers, groupID: "fault-check")
        consumerConfiguration.sessionTimeout = .seconds(6)
        let consumer = try KafkaConsumer(configuration: consumerConfiguration)
        try consumer.subscribe(topics: [topic])
        var seen = Set<String>()
        let reader = Task {
            for try await message in consumer.messages {
                seen.insert(message.valueString)
                if acknowledged.isSubset(of: seen) { break }
            }
            return seen
        }
        let watchdog = Task {
            try await Task.sleep(for: .seconds(60))
            reader.cancel()
        }
        let read = try await reader.value
        watchdog.cancel()
        try await consumer.close()
        #expect(acknowledged.isSubset(of: read), "lost: \(acknowledged.subtracting(read).sorted().prefix(10))")
    }

    @Test("retriable produce errors from the broker are retried without loss or duplicates")
    func retriableProduceErrors() async throws {
        let cluster = try EmbeddedKafkaCluster(brokers: 1)
        try cluster.createTopic(KafkaTopicSpec(name: "retry", partitions: 1))
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: cluster.bootstrapServers))
        try await producer.send(KafkaProducerMessage(topic: "retry", key: nil, value: "warm-up"))
        cluster.failNextProduceRequests(3)
        var offsets: [Int64] = []
        for index in 0..<5 {
            offsets.append(
                try await producer.send(KafkaProducerMessage(topic: "retry", key: nil, value: "m\(index)")).offset)
        }
        await producer.close()
        #expect(offsets == [1, 2, 3, 4, 5], "idempotent retries keep offsets dense and ordered")
    }
}
