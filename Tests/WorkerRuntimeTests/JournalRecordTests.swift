import Kafka
import Testing

@testable import WorkerRuntime

@Suite("Journal records")
struct JournalRecordTests {
    let answer = KafkaProducerMessage(
        topic: "llm.responses", key: Array("q\"1".utf8),
        value: Array(#"{"type":"provider_response","data":{"response":"line\nbreak \"quoted\" \\ tab\t ü"}}"#.utf8),
        headers: [
            KafkaHeader(key: "signal-type", value: "provider_response"),
            KafkaHeader(key: "empty", value: nil as [UInt8]?),
        ]
    )

    @Test("a done record encodes to JSON and decodes to the same record; outputs come back byte for byte")
    func roundTrip() throws {
        let record = JournalRecord(
            key: JournalKey(requestID: "q\"1\u{1}/ü", attempt: 3), state: .done, requestPartition: 7,
            requestOffset: 123_456_789_012, worker: "agent/x/host-1", recordedAtMs: 1_795_000_000_123,
            outputs: [JournalRecord.Output(answer)]
        )
        let decoded = try #require(JournalRecord.decode(record.encoded))
        #expect(decoded == record)
        #expect(decoded.outputs.map(\.message) == [answer])
        let started = JournalRecord(
            key: JournalKey(requestID: "s", attempt: 1), state: .started, requestPartition: 0, requestOffset: 0,
            worker: "w",
            recordedAtMs: 5
        )
        #expect(JournalRecord.decode(started.encoded) == started)
    }

    @Test("an output that is not a JSON object is kept as text; one with a partition keeps it")
    func otherOutputs() throws {
        let plain = KafkaProducerMessage(topic: "t", partition: 4, key: nil, value: Array("not json".utf8))
        let record = JournalRecord(
            key: JournalKey(requestID: "r", attempt: 1), state: .done, requestPartition: 1, requestOffset: 2,
            worker: "w",
            recordedAtMs: 3, outputs: [JournalRecord.Output(plain)]
        )
        #expect(String(decoding: record.encoded, as: UTF8.self).contains(#""value_text":"not json""#))
        let decoded = try #require(JournalRecord.decode(record.encoded))
        #expect(decoded.outputs.first?.message == plain)
    }

    @Test("the summary reads the identifying fields only and stops before the outputs")
    func summary() throws {
        let record = JournalRecord(
            key: JournalKey(requestID: "a", attempt: 2), state: .done, requestPartition: 1, requestOffset: 2,
            worker: "w",
            recordedAtMs: 99, outputs: [JournalRecord.Output(answer)]
        )
        var bytes = record.encoded
        // Garbage after the outputs begin: a summary never reads it.
        let cut = try #require(String(decoding: bytes, as: UTF8.self).range(of: #","outputs":"#))
        bytes = Array(String(decoding: bytes, as: UTF8.self)[..<cut.upperBound].utf8) + Array("[{garbage".utf8)
        let summary = try #require(JournalRecord.summary(of: bytes))
        #expect(
            summary
                == JournalRecord.Summary(key: JournalKey(requestID: "a", attempt: 2), state: .done, recordedAtMs: 99))
        #expect(JournalRecord.decode(bytes) == nil, "the whole record is broken")
    }

    @Test("the ledger's earlier format (answered, answer with a string value) reads as done with one output")
    func legacy() throws {
        let legacy =
            #"""
            {"request_id":"l1","attempt":1,"state":"answered","request_partition":0,"request_offset":5,"instance":\#
            "i","recorded_at_ms":7,"answer":{"topic":"llm.responses","key":"l1","value":"{\"type\":\#
            \"provider_response\"}","headers":[{"key":"signal-type","value":"provider_response"}]}}
            """#
        let record = try #require(JournalRecord.decode(Array(legacy.utf8)))
        #expect(record.state == .done)
        #expect(record.key == JournalKey(requestID: "l1", attempt: 1))
        #expect(
            record.outputs.map(\.message) == [
                KafkaProducerMessage(
                    topic: "llm.responses", key: Array("l1".utf8), value: Array(#"{"type":"provider_response"}"#.utf8),
                    headers: [KafkaHeader(key: "signal-type", value: "provider_response")]
                )
            ])
        let started =
            #"""
            {"request_id":"l2","attempt":1,"state":"started","request_partition":0,"request_offset":6,"instance":\#
            "i","recorded_at_ms":8,"answer":null}
            """#
        #expect(JournalRecord.decode(Array(started.utf8))?.state == .started)
    }

    @Test(
        "bytes that are no record are refused, never trapped on",
        arguments: [
            "", "not json", "{", "[]", #"{"request_id":"a"}"#,
            #"{"request_id":"a","attempt":0,"state":"done","request_partition":0,"request_offset":0}"#,
            #"{"request_id":"a","attempt":1,"state":"finished","request_partition":0,"request_offset":0}"#,
            #"""
            {"request_id":"a","attempt":99999999999999999999,"state":"done","request_partition":0,\#
            "request_offset":0}
            """#,
            #"{"request_id":"\u12","attempt":1}"#,
        ])
    func garbage(_ text: String) {
        #expect(JournalRecord.decode(Array(text.utf8)) == nil)
        #expect(JournalRecord.summary(of: Array(text.utf8)) == nil)
    }

    @Test("keys: request id and attempt at the last slash; the hash tells them apart and is stable")
    func keys() {
        #expect(JournalKey(requestID: "a/1", attempt: 2).description == "a/1/2")
        #expect(JournalKey(requestID: "a", attempt: 12).hash != JournalKey(requestID: "a/1", attempt: 2).hash)
        #expect(JournalKey(requestID: "a", attempt: 1).hash != JournalKey(requestID: "a", attempt: 2).hash)
        // FNV-1a 64 of "a/1": fixed across processes and runs.
        #expect(JournalKey(requestID: "a", attempt: 1).hash == 0xe620_f019_0469_1bd8)
        #expect(JournalKey(requestID: "a", attempt: 1).hash == JournalKey(requestID: "a", attempt: 1).hash)
    }
}
