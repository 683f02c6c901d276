@testable import Agent
import Foundation
import Kafka
import Testing

@Suite("Ledger index")
struct LedgerIndexTests {
    func message(_ record: LedgerRecord, offset: Int64) throws -> KafkaConsumerMessage {
        KafkaConsumerMessage(
            topic: "llm.ledger.x", partition: record.requestPartition, offset: offset, key: Array(record.key.utf8),
            value: Array(try JSONEncoder().encode(record))
        )
    }

    func record(_ id: String, attempt: Int = 1, _ state: LedgerRecord.State, partition: Int32 = 2, offset: Int64) -> LedgerRecord {
        let answer = KafkaProducerMessage(topic: "llm.responses", key: id, value: #"{"type":"provider_response"}"#, headers: [KafkaHeader(key: "signal-type", value: "provider_response")])
        return LedgerRecord(
            requestID: id, attempt: attempt, state: state, requestPartition: partition, requestOffset: offset,
            instance: "i", recordedAtMs: 1_795_000_000_000, answer: state == .answered ? LedgerRecord.Answer(answer) : nil
        )
    }

    @Test("keeps the latest record per (request_id, attempt) from the start offset on, of its own partition only")
    func buildsFromOffset() throws {
        var index = LedgerIndex(partition: 2, from: 100)
        index.add(try message(record("old", .answered, offset: 99), offset: 0))
        index.add(try message(record("a", .started, offset: 100), offset: 1))
        index.add(try message(record("a", .answered, offset: 100), offset: 2))
        index.add(try message(record("a", attempt: 2, .started, offset: 140), offset: 3))
        index.add(try message(record("b", .started, offset: 150), offset: 4))
        index.add(try message(record("c", .answered, partition: 1, offset: 150), offset: 5))
        index.add(KafkaConsumerMessage(topic: "llm.ledger.x", partition: 2, offset: 6, key: nil, value: Array("garbage".utf8)))

        #expect(index.records.count == 3)
        #expect(index.unreadable == 1)
        let old = index.take(requestID: "old", attempt: 1)
        #expect(old == nil, "committed before the start offset: never redelivered")
        let other = index.take(requestID: "c", attempt: 1)
        #expect(other == nil, "another partition's record")
        let taken = index.take(requestID: "a", attempt: 1)
        let a = try #require(taken)
        #expect(a.state == .answered, "the latest record wins")
        #expect(a.answer?.message.headers == [KafkaHeader(key: "signal-type", value: "provider_response")])
        #expect(a.answer?.message.key == Array("a".utf8))
        let again = index.take(requestID: "a", attempt: 1)
        #expect(again == nil, "taken once")
        let second = index.take(requestID: "a", attempt: 2)
        #expect(second?.state == .started, "attempts are separate")
        let b = index.take(requestID: "b", attempt: 1)
        #expect(b?.state == .started)
    }

    @Test("the hand-written encoding is JSON that decodes to the same record, escapes included")
    func encoding() throws {
        let answer = KafkaProducerMessage(
            topic: "llm.responses", key: "q\"1", value: #"{"type":"provider_response","data":{"response":"line\nbreak \"quoted\" \\ tab\t"}}"#,
            headers: [KafkaHeader(key: "signal-type", value: "provider_response"), KafkaHeader(key: "empty", value: nil as [UInt8]?)]
        )
        let record = LedgerRecord(
            requestID: "q\"1\u{1}", attempt: 3, state: .answered, requestPartition: 7, requestOffset: 123_456_789_012,
            instance: "host-1/ü", recordedAtMs: 1_795_000_000_123, answer: LedgerRecord.Answer(answer)
        )
        let decoded = try JSONDecoder().decode(LedgerRecord.self, from: Data(record.encoded))
        #expect(decoded == record)
        #expect(decoded.answer?.message == answer, "the answer comes back byte for byte")
        let started = LedgerRecord(requestID: "s", attempt: 1, state: .started, requestPartition: 0, requestOffset: 0, instance: "i", recordedAtMs: 0, answer: nil)
        #expect(try JSONDecoder().decode(LedgerRecord.self, from: Data(started.encoded)) == started)
    }

    @Test("the compaction key separates request id and attempt at the last slash")
    func keys() {
        #expect(LedgerRecord.key(requestID: "a/1", attempt: 2) == "a/1/2")
        #expect(LedgerRecord.key(requestID: "a", attempt: 12) != LedgerRecord.key(requestID: "a/1", attempt: 2))
    }
}
