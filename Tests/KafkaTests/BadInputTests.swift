import Foundation
import Kafka
import KafkaTestSupport
import Testing

/// Bad addresses and names give clear errors within a bounded time.
@Suite("Bad input", .timeLimit(.minutes(2)))
struct BadInputTests {
    @Test("a bootstrap address that does not answer: brokerUnreachable naming the address, within the timeout")
    func unreachableBootstrap() async throws {
        let port = try freeLoopbackPort()  // nothing listens here
        let address = "127.0.0.1:\(port)"
        let admin = try KafkaAdmin(configuration: KafkaConfiguration(bootstrapServers: address))
        let start = ContinuousClock.now
        let error = await #expect(throws: KafkaError.self) { _ = try await admin.metadata(timeout: .seconds(2)) }
        // Bounded, not timed: 2 s asked; a loaded two-core machine has taken 7.6 s, and an unbounded
        // wait would be librdkafka's minute-long socket timeouts.
        #expect(ContinuousClock.now - start < .seconds(20))
        #expect(error?.code == .brokerUnreachable)
        #expect(error?.message.contains(address) == true, "\(String(describing: error))")

        let producer = try KafkaProducer(configuration: .init(bootstrapServers: address))
        let topicError = await #expect(throws: KafkaError.self) {
            _ = try await admin.createTopics([KafkaTopicSpec(name: "x", partitions: 1)], timeout: .seconds(2))
        }
        #expect(topicError?.code == .brokerUnreachable)
        await producer.close(timeout: .seconds(1))
    }

    @Test("an awaited send to an unreachable broker throws within the delivery timeout")
    func sendToUnreachableBroker() async throws {
        let address = "127.0.0.1:\(try freeLoopbackPort())"
        var configuration = KafkaProducerConfiguration(bootstrapServers: address)
        configuration.deliveryTimeout = .seconds(2)
        let producer = try KafkaProducer(configuration: configuration)
        let start = ContinuousClock.now
        let error = await #expect(throws: KafkaError.self) {
            _ = try await producer.send(KafkaProducerMessage(topic: "t", key: nil, value: "v"))
        }
        // The 2-s timeout, librdkafka's 1-s timeout scan and slack for a loaded machine (a full test
        // run took 6.8 s once) — far below the 300-s default that a lost setting would leave.
        #expect(ContinuousClock.now - start < .seconds(12))
        #expect(error?.code == .timedOut)
        #expect(error?.message.contains("'t'") == true)
        await producer.close(timeout: .seconds(1))
    }

    @Test("a missing topic is named in the error")
    func missingTopic() async throws {
        let broker = try await TansuBroker.shared()
        let admin = try KafkaAdmin(configuration: KafkaConfiguration(bootstrapServers: broker.bootstrapServers))
        let metadata = try await admin.metadata()
        let missing = uniqueName("missing")
        let error = #expect(throws: KafkaError.self) { _ = try metadata.partitionCount(of: missing) }
        #expect(error?.code == .unknownTopic)
        #expect(error?.message.contains(missing) == true)
    }

    @Test("invalid topic definitions are refused before reaching the broker")
    func invalidTopicSpec() async throws {
        let admin = try KafkaAdmin(configuration: KafkaConfiguration(bootstrapServers: "127.0.0.1:1"))
        let error = await #expect(throws: KafkaError.self) {
            _ = try await admin.createTopics([KafkaTopicSpec(name: "bad name", partitions: 1)])
        }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("bad name") == true)
    }

    @Test("sends after close fail with closed instead of hanging")
    func sendAfterClose() async throws {
        let cluster = try EmbeddedKafkaCluster()
        try cluster.createTopic(KafkaTopicSpec(name: "t", partitions: 1))
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: cluster.bootstrapServers))
        await producer.close()
        let error = await #expect(throws: KafkaError.self) {
            _ = try await producer.send(KafkaProducerMessage(topic: "t", key: nil, value: "v"))
        }
        #expect(error?.code == .closed)
    }
}

@Suite("Bad input: subscriptions", .timeLimit(.minutes(2)))
struct MissingTopicSubscriptionTests {
    @Test("subscribing to a topic that does not exist ends the message sequence with unknownTopic naming it")
    func subscribeMissingTopic() async throws {
        let broker = try await TansuBroker.shared()
        let missing = uniqueName("missing")
        let consumer = try KafkaConsumer(configuration: testConsumerConfig(broker, group: uniqueName("g")))
        try consumer.subscribe(topics: [missing])
        let start = ContinuousClock.now
        let error = await #expect(throws: KafkaError.self) {
            for try await _ in consumer.messages {}
        }
        #expect(ContinuousClock.now - start < .seconds(45))
        #expect(error?.code == .unknownTopic)
        #expect(error?.message.contains(missing) == true, "\(String(describing: error))")
        try await consumer.close()
    }
}
