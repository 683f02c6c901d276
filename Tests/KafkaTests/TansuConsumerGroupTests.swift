import Foundation
import Kafka
import KafkaTestSupport
import Testing

/// Group membership and offset semantics against a real broker (Tansu) on loopback.
@Suite("Tansu: consumer groups and offsets", .timeLimit(.minutes(3)))
struct TansuConsumerGroupTests {
    @Test("two members split the partitions; after one leaves, the other owns all of them")
    func membersSplitAndTakeOver() async throws {
        let broker = try await TansuBroker.shared()
        let topic = uniqueName("split")
        let group = uniqueName("group")
        try await broker.createTopic(topic, partitions: 6)
        let all = Set((0..<6).map { TopicPartition(topic: topic, partition: Int32($0)) })

        let first = try GroupMember(broker: broker, group: group, topic: topic)
        try await first.waitForAssignment { $0 == all }

        let second = try GroupMember(broker: broker, group: group, topic: topic)
        try await second.waitForAssignment { !$0.isEmpty }
        try await first.waitForAssignment { $0.count < 6 }
        // Both stable: disjoint, together everything.
        try await waitUntil("assignments are disjoint and complete") {
            first.consumer.assignment.isDisjoint(with: second.consumer.assignment)
                && first.consumer.assignment.union(second.consumer.assignment) == all
        }
        #expect(!first.consumer.assignment.isEmpty && !second.consumer.assignment.isEmpty)

        try await second.stop()
        try await first.waitForAssignment { $0 == all }
        let sawRevocation = first.events.contains { if case .revoked = $0 { true } else { false } }
        #expect(sawRevocation, "the first member gave partitions away when the second joined: \(first.events)")
        try await first.stop()
    }

    @Test("after a restart, messages whose offsets were not stored are delivered again; stored ones are not")
    func storedOffsetsSurviveRestart() async throws {
        let broker = try await TansuBroker.shared()
        let topic = uniqueName("stored")
        let group = uniqueName("group")
        try await broker.createTopic(topic, partitions: 1)
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: broker.bootstrapServers))
        for index in 0..<10 {
            try await producer.send(KafkaProducerMessage(topic: topic, key: "k", value: "m\(index)"))
        }
        await producer.close()

        // First run: read all ten, finish (store) only the first four and the 7th — out of order.
        let firstRun = try KafkaConsumer(configuration: testConsumerConfig(broker, group: group))
        try firstRun.subscribe(topics: [topic])
        var firstValues: [String] = []
        for try await message in firstRun.messages {
            firstValues.append(message.valueString)
            if message.offset < 4 { try firstRun.storeOffset(for: message) }
            if firstValues.count == 10 { break }
        }
        try await firstRun.close()
        #expect(firstValues == (0..<10).map { "m\($0)" })

        // Second run, same group: starts at the first offset not stored.
        let secondRun = try KafkaConsumer(configuration: testConsumerConfig(broker, group: group))
        try secondRun.subscribe(topics: [topic])
        var secondValues: [String] = []
        for try await message in secondRun.messages {
            secondValues.append(message.valueString)
            try secondRun.storeOffset(for: message)
            if secondValues.count == 6 { break }
        }
        let partition = TopicPartition(topic: topic, partition: 0)
        try await secondRun.commit()
        let committed = try await secondRun.committed([partition])
        try await secondRun.close()
        #expect(secondValues == (4..<10).map { "m\($0)" })
        #expect(committed[partition] == 10)
    }

    @Test(
        """
        a message fetched before its partition moved away and came back is stale; the copy read again is current, \
        and so is one of a partition kept throughout
        """
    )
    func staleAfterReassignment() async throws {
        let broker = try await TansuBroker.shared()
        let topic = uniqueName("epoch")
        let group = uniqueName("group")
        try await broker.createTopic(topic, partitions: 2)
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: broker.bootstrapServers))
        for index in 0..<20 {
            try await producer.enqueue(
                KafkaProducerMessage(topic: topic, partition: Int32(index % 2), key: nil, value: "m\(index)"))
        }
        try await producer.flush(timeout: .seconds(10))
        await producer.close()

        // The first member keeps reading (serving rebalances) and keeps every message it got.
        let consumer = try KafkaConsumer(configuration: testConsumerConfig(broker, group: group))
        try consumer.subscribe(topics: [topic])
        let held = LockedArray<KafkaConsumerMessage>()
        let reader = Task { [consumer] in for try await message in consumer.messages { held.append(message) } }
        try await waitUntil("the first member read all 20") { held.all.count >= 20 }
        let before = held.all
        #expect(before.allSatisfy { consumer.isCurrent($0) }, "current while the assignment stands")

        // A second member takes one partition, then leaves: it comes back to the first.
        let second = try GroupMember(broker: broker, group: group, topic: topic)
        try await second.waitForAssignment { $0.count == 1 }
        let moved = try #require(second.consumer.assignment.first)
        try await waitUntil("the first member gave the partition away") { !consumer.assignment.contains(moved) }
        #expect(
            before.filter { $0.topicPartition == moved }.allSatisfy { !consumer.isCurrent($0) }, "stale once revoked")
        try await second.stop()
        try await waitUntil("the partition came back", timeout: .seconds(60)) { consumer.assignment.count == 2 }

        let kept = before.filter { $0.topicPartition != moved }
        let movedAway = before.filter { $0.topicPartition == moved }
        #expect(kept.count == 10 && movedAway.count == 10)
        #expect(kept.allSatisfy { consumer.isCurrent($0) }, "a partition never revoked keeps its messages current")
        #expect(
            movedAway.allSatisfy { !consumer.isCurrent($0) },
            "fetched under the first assignment: stale though the partition is owned again")
        // Nothing was stored: the partition is read again from the start, and those copies are current.
        try await waitUntil("the moved partition was read again") { held.all.count >= 30 }
        let again = held.all.dropFirst(20).filter { $0.topicPartition == moved }
        #expect(again.map(\.offset) == movedAway.map(\.offset))
        #expect(again.allSatisfy { consumer.isCurrent($0) })
        #expect(
            again.elementsEqual(movedAway), "the same records (the fetch epoch is not part of a message's identity)")
        try await consumer.close()
        _ = try? await reader.value
    }

    @Test("paused partitions deliver nothing until resumed; position and lag follow consumption")
    func pauseResumePositionLag() async throws {
        let broker = try await TansuBroker.shared()
        let topic = uniqueName("pause")
        try await broker.createTopic(topic, partitions: 2)
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: broker.bootstrapServers))
        for index in 0..<10 {
            try await producer.send(
                KafkaProducerMessage(
                    topic: topic, partition: Int32(index % 2), key: nil, value: "p\(index % 2)-\(index)"))
        }

        let p0 = TopicPartition(topic: topic, partition: 0)
        let p1 = TopicPartition(topic: topic, partition: 1)
        let paused = Set([p1])
        let consumer = try KafkaConsumer(
            configuration: testConsumerConfig(broker, group: uniqueName("group")),
            onRebalance: { _ in }
        )
        try consumer.assign([p0: nil, p1: nil])
        try consumer.pause(paused)
        var iterator = consumer.messages.makeAsyncIterator()
        var seen: [KafkaConsumerMessage] = []
        while seen.count < 5, let message = try await iterator.next() { seen.append(message) }
        #expect(seen.allSatisfy { $0.partition == 0 }, "only the unpaused partition delivers")
        // More data arrives on both; the paused one still delivers nothing.
        try await producer.send(KafkaProducerMessage(topic: topic, partition: 0, key: nil, value: "p0-late"))
        let late = try await iterator.next()
        #expect(late?.partition == 0 && late?.valueString == "p0-late")
        #expect(consumer.position(p0) == 6)

        try consumer.resume(paused)
        var fromResumed: [KafkaConsumerMessage] = []
        while fromResumed.count < 5, let message = try await iterator.next() {
            if message.partition == 1 { fromResumed.append(message) }
        }
        #expect(fromResumed.map(\.offset) == [0, 1, 2, 3, 4])
        try await waitUntil("lag reaches zero after consuming everything") {
            consumer.lag(p1) == 0 && consumer.lag(p0) == 0
        }
        await producer.close()
        try await consumer.close()
    }
}

/// A group consumer that keeps reading in the background (which serves rebalances) and records
/// its rebalance events.
final class GroupMember: Sendable {
    let consumer: KafkaConsumer
    private let reader: Task<Void, any Error>
    private let recorded = EventLog()

    init(broker: TansuBroker, group: String, topic: String) throws {
        let log = recorded
        consumer = try KafkaConsumer(
            configuration: testConsumerConfig(broker, group: group), onRebalance: { log.append($0) })
        try consumer.subscribe(topics: [topic])
        reader = Task { [consumer] in for try await _ in consumer.messages {} }
    }

    var events: [KafkaRebalanceEvent] { recorded.all }

    func waitForAssignment(_ condition: @escaping @Sendable (Set<TopicPartition>) -> Bool) async throws {
        try await waitUntil("assignment condition") { condition(self.consumer.assignment) }
    }

    func stop() async throws {
        try await consumer.close()
        _ = try? await reader.value
    }
}

final class EventLog: Sendable {
    private let events = LockedArray<KafkaRebalanceEvent>()
    func append(_ event: KafkaRebalanceEvent) { events.append(event) }
    var all: [KafkaRebalanceEvent] { events.all }
}
