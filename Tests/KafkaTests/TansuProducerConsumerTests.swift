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
            let receipt = try await producer.send(
                KafkaProducerMessage(topic: topic, key: "k\(index)", value: "v\(index)"))
            #expect(receipt.topic == topic)
            #expect(receipt.partition == 0)
            offsets.append(receipt.offset)
        }
        #expect(offsets == Array(offsets[0]..<(offsets[0] + 20)), "offsets must increase by one: \(offsets)")
        await producer.close()
    }

    @Test(
        """
        readToEnd reads every message written before it started, also the rest of the last batch (Tansu reports \
        the latest offset as that batch's base + 1)
        """
    )
    func readToEndReadsTheLastBatch() async throws {
        let broker = try await TansuBroker.shared()
        let topic = uniqueName("to-end")
        try await broker.createTopic(topic, partitions: 1)
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: broker.bootstrapServers))
        // Two batches: 100 messages, then 5.
        for count in [100, 5] {
            for index in 0..<count {
                try await producer.enqueue(KafkaProducerMessage(topic: topic, key: nil, value: "\(count)-\(index)"))
            }
            try await producer.flush(timeout: .seconds(10))
        }
        await producer.close()

        // One poll batch ends right after the last batch's first message.
        var configuration = KafkaConsumerConfiguration(
            bootstrapServers: broker.bootstrapServers, groupID: uniqueName("reader"))
        configuration.pollBatchSize = 101
        let reader = try KafkaConsumer(configuration: configuration)
        var offsets: [Int64] = []
        try await reader.readToEnd([TopicPartition(topic: topic, partition: 0)], timeout: .seconds(30)) { message in
            offsets.append(message.offset)
        }
        try await reader.close()
        #expect(offsets == Array(0..<105))
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
                headers: [
                    KafkaHeader(key: "signal-type", value: "provider_request"),
                    KafkaHeader(key: "traceparent", value: "00-abc-def-01"),
                ]
            ),
            KafkaProducerMessage(
                topic: topic, key: binary, value: binary,
                headers: [KafkaHeader(key: "bin", value: binary), KafkaHeader(key: "null", value: nil)]),
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
            ids.append(
                try await producer.enqueue(KafkaProducerMessage(topic: topic, key: "k\(index)", value: "v\(index)")))
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
