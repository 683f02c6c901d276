import Foundation
import Kafka
import KafkaTestSupport
import Testing

/// Producer and group consumer against a real broker (Tansu) on loopback.
@Suite("Tansu: produce and consume", .timeLimit(.minutes(2)))
struct TansuProducerConsumerTests {
    @Test("awaited sends return increasing offsets per partition")
    func awaitedSendsReturnIncreasingOffsets() async throws {
        let broker = try await TansuBroker.shared()
        let topic = uniqueName("offsets")
        try await broker.createTopic(topic, partitions: 1)
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: broker.bootstrapServers))
        var offsets: [Int64] = []
        for index in 0..<20 {
            let receipt = try await producer.send(KafkaProducerMessage(topic: topic, key: "k\(index)", value: "v\(index)"))
            #expect(receipt.topic == topic)
            #expect(receipt.partition == 0)
            offsets.append(receipt.offset)
        }
        #expect(offsets == Array(offsets[0]..<(offsets[0] + 20)), "offsets must increase by one: \(offsets)")
        await producer.close()
    }

    @Test("keys, values and headers round-trip byte for byte")
    func keysAndHeadersRoundTrip() async throws {
        let broker = try await TansuBroker.shared()
        let topic = uniqueName("headers")
        try await broker.createTopic(topic, partitions: 3)
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: broker.bootstrapServers))
        let binary: [UInt8] = [0, 1, 2, 255, 254, 0]
        let sent = [
            KafkaProducerMessage(
                topic: topic, key: Array("req-1".utf8), value: Array(#"{"type":"provider_request"}"#.utf8),
                headers: [KafkaHeader(key: "signal-type", value: "provider_request"), KafkaHeader(key: "traceparent", value: "00-abc-def-01")]
            ),
            KafkaProducerMessage(topic: topic, key: binary, value: binary, headers: [KafkaHeader(key: "bin", value: binary), KafkaHeader(key: "null", value: nil)]),
            KafkaProducerMessage(topic: topic, key: nil, value: Array("no key".utf8)),
        ]
        for message in sent { try await producer.send(message) }
        await producer.close()

        let consumer = try KafkaConsumer(configuration: testConsumerConfig(broker, group: uniqueName("g")))
        try consumer.subscribe(topics: [topic])
        var received: [KafkaConsumerMessage] = []
        for try await message in consumer.messages {
            received.append(message)
            if received.count == sent.count { break }
        }
        try await consumer.close()
        for message in sent {
            let match = received.first { $0.value == message.value }
            #expect(match?.key == message.key)
            #expect(match?.headers == message.headers)
        }
    }

    @Test("enqueued messages report their delivery on deliveryReports, one report per id")
    func enqueueReportsDelivery() async throws {
        let broker = try await TansuBroker.shared()
        let topic = uniqueName("enqueue")
        try await broker.createTopic(topic, partitions: 3)
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: broker.bootstrapServers))
        let reports = Task {
            var collected: [KafkaDeliveryReport] = []
            for await report in producer.deliveryReports {
                collected.append(report)
                if collected.count == 500 { break }
            }
            return collected
        }
        var ids: [KafkaMessageID] = []
        for index in 0..<500 {
            ids.append(try await producer.enqueue(KafkaProducerMessage(topic: topic, key: "k\(index)", value: "v\(index)")))
        }
        let collected = await reports.value
        #expect(Set(collected.map(\.id)) == Set(ids))
        let receipts = try collected.map { try $0.result.get() }
        #expect(receipts.allSatisfy { $0.topic == topic })
        let positions = Set(receipts.map { "\($0.partition)/\($0.offset)" })
        #expect(positions.count == 500, "every message has its own partition/offset")
        await producer.close()
    }
}
