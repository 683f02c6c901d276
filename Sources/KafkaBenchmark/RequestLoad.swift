import Foundation
import Kafka

/// The agent benchmark's input: realistic `provider_request` envelopes (the shape of the
/// docs/signals.md example, ~500 B: request_id, model, temperature, max_tokens, a system and a
/// user message, metadata), keyed by request id with the `signal-type` / `request-id` headers a
/// client sets. ``LoadProducer`` sends them.
struct RequestLoad {
    /// The model named in every request (the test provider serves it).
    let model: String

    /// `bench-req-00000042`: the benchmark finds a request's index in an answer's key.
    static func requestID(_ index: Int) -> String {
        let digits = String(index)
        return "bench-req-" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    /// The index in a `bench-req-<n>` key (answers are keyed by request id), `nil` for anything else.
    static func index(ofKey key: [UInt8]?) -> Int? {
        guard let key, key.count > 10, key.starts(with: prefixBytes) else { return nil }
        var value = 0
        for byte in key.dropFirst(prefixBytes.count) {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    private static let prefixBytes = Array("bench-req-".utf8)

    /// - Parameter partition: where to send it; `nil`: the partitioner's choice by key.
    func message(index: Int, topic: String, time: String, partition: Int32? = nil) -> KafkaProducerMessage {
        let id = Self.requestID(index)
        let envelope = """
            {"type":"provider_request","id":"\(UUID().uuidString.lowercased())","source":"client/kafka-bench",\
            "time":"\(time)","data":{"request_id":"\(id)","model":"\(model)","temperature":0.2,"max_tokens":256,\
            "messages":[{"role":"system","content":"You are a terse support agent."},\
            {"role":"user","content":"Ticket \(index): parcel late, box damaged, product works; customer wants a \
            partial refund. Summarise and suggest a reply."}],\
            "metadata":{"job":"kafka-bench","attempt":1}}}
            """
        return KafkaProducerMessage(
            topic: topic, partition: partition, key: Array(id.utf8), value: Array(envelope.utf8),
            headers: [
                KafkaHeader(key: "signal-type", value: "provider_request"), KafkaHeader(key: "request-id", value: id),
            ]
        )
    }

    /// Requests `range` for `topic`, all stamped with the current time; with `partitions`,
    /// request `i` goes to partition `i % partitions` (else the partitioner spreads them by key).
    func messages(_ range: Range<Int>, topic: String, partitions: Int? = nil) -> [KafkaProducerMessage] {
        let time = Self.now()
        return range.map { index in
            message(index: index, topic: topic, time: time, partition: partitions.map { Int32(index % $0) })
        }
    }

    /// The current time as the envelope's `time` (RFC 3339 with milliseconds).
    static func now() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date())
    }
}
