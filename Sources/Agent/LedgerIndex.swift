import Foundation
import Kafka

/// What the ledger knows about one request-topic partition from a given offset on: the latest
/// record of every (request_id, attempt) whose request sits at or after `from`. Built when the
/// partition is assigned, from the matching ledger partition, before any of its requests is
/// processed. Entries before `from` were committed by the previous owner and are never
/// redelivered, so they are not kept.
struct LedgerIndex: Sendable {
    let partition: Int32
    let from: Int64
    private(set) var records: [String: LedgerRecord] = [:]
    /// Ledger messages that could not be read (counted, skipped).
    private(set) var unreadable = 0

    init(partition: Int32, from: Int64) {
        self.partition = partition
        self.from = from
    }

    private static let decoder = JSONDecoder()

    mutating func add(_ message: KafkaConsumerMessage) {
        guard let record = try? Self.decoder.decode(LedgerRecord.self, from: Data(message.value)) else {
            unreadable += 1
            return
        }
        guard record.requestPartition == partition, record.requestOffset >= from else { return }
        records[record.key] = record
    }

    /// The latest record of (request_id, attempt); taken out, since a redelivered request is
    /// processed once per assignment.
    mutating func take(requestID: String, attempt: Int) -> LedgerRecord? {
        records.removeValue(forKey: LedgerRecord.key(requestID: requestID, attempt: attempt))
    }
}
