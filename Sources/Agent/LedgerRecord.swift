import Foundation
import Kafka
import Signals

/// One entry of the provider's ledger topic `llm.ledger.<provider>`: what happened to
/// (request_id, attempt). Written to the same partition number as the request, keyed
/// `<request_id>/<attempt>`, so compaction keeps the latest state of every attempt.
///
/// `started` is written (and acknowledged) before the provider is called, `answered` (with the
/// final answer, byte for byte) before the answer is published. A redelivered request whose
/// latest entry is `answered` is answered again from the ledger; one whose latest entry is
/// `started` was in flight when its previous owner stopped, so it reaches the provider again
/// and is counted as a recall.
struct LedgerRecord: Codable, Sendable, Hashable {
    enum State: String, Codable, Sendable {
        case started
        case answered
    }

    /// The final answer signal as it was published.
    struct Answer: Codable, Sendable, Hashable {
        struct Header: Codable, Sendable, Hashable {
            var key: String
            var value: String?
        }

        var topic: String
        var key: String?
        /// The envelope JSON.
        var value: String
        var headers: [Header]

        init(_ message: KafkaProducerMessage) {
            topic = message.topic
            key = message.key.map { String(decoding: $0, as: UTF8.self) }
            value = String(decoding: message.value, as: UTF8.self)
            headers = message.headers.map { Header(key: $0.key, value: $0.stringValue) }
        }

        var message: KafkaProducerMessage {
            KafkaProducerMessage(
                topic: topic, key: key.map { Array($0.utf8) }, value: Array(value.utf8),
                headers: headers.map { KafkaHeader(key: $0.key, value: $0.value.map { Array($0.utf8) }) }
            )
        }
    }

    var requestID: String
    var attempt: Int
    var state: State
    var requestPartition: Int32
    var requestOffset: Int64
    var instance: String
    /// Milliseconds since the epoch.
    var recordedAtMs: Int64
    var answer: Answer?

    enum CodingKeys: String, CodingKey {
        case attempt, state, instance, answer
        case requestID = "request_id"
        case requestPartition = "request_partition"
        case requestOffset = "request_offset"
        case recordedAtMs = "recorded_at_ms"
    }

    /// The compaction key of (request_id, attempt).
    static func key(requestID: String, attempt: Int) -> String { "\(requestID)/\(attempt)" }

    var key: String { Self.key(requestID: requestID, attempt: attempt) }

    /// The record as compact JSON, written directly (two records per call are on the hot path;
    /// Foundation's encoder cost ~6% of an agent's CPU). Decoded with `Codable`.
    var encoded: [UInt8] {
        var json = JSONBytes(capacity: 160 + (answer?.value.utf8.count ?? 0) * 11 / 10)
        json.raw("{\"request_id\":")
        json.string(requestID)
        json.raw(",\"attempt\":\(attempt),\"state\":\"\(state.rawValue)\",\"request_partition\":\(requestPartition),\"request_offset\":\(requestOffset),\"instance\":")
        json.string(instance)
        json.raw(",\"recorded_at_ms\":\(recordedAtMs)")
        if let answer {
            json.raw(",\"answer\":{\"topic\":")
            json.string(answer.topic)
            if let key = answer.key {
                json.raw(",\"key\":")
                json.string(key)
            }
            json.raw(",\"value\":")
            json.string(answer.value)
            json.raw(",\"headers\":[")
            for (index, header) in answer.headers.enumerated() {
                json.raw(index == 0 ? "{\"key\":" : ",{\"key\":")
                json.string(header.key)
                if let value = header.value {
                    json.raw(",\"value\":")
                    json.string(value)
                }
                json.raw("}")
            }
            json.raw("]}")
        }
        json.raw("}")
        return json.bytes
    }
}
