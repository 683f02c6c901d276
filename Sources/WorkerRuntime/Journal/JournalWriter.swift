import Common
import Kafka
import Synchronization

/// Writes a journal's records with group commit: per journal partition, one message is in
/// flight at a time, and every record that arrives meanwhile goes out in the next one (one
/// record per line). Alone, a record leaves at once; under load, many share one write, one
/// acknowledgement and one delivery report.
final class JournalWriter: Sendable {
    /// What a record's writer hears: published at `offset` (the batch message's), or why not.
    typealias Completion = @Sendable (PublishOutcome, _ offset: Int64?) -> Void

    private struct Pending: Sendable {
        var record: JournalRecord
        var completion: Completion
    }

    private struct Partition: Sendable {
        var waiting: [Pending] = []
        var writing = false
    }

    private let topic: String
    private let worker: String
    private let outbox: Outbox
    private let deadline: Duration
    private let clock: @Sendable () -> Int64
    private let partitions = Mutex<[Int32: Partition]>([:])
    private let sequence = Atomic<UInt64>(0)
    private let startedMs: Int64

    init(topic: String, worker: String, outbox: Outbox, deadline: Duration, clock: @escaping @Sendable () -> Int64) {
        self.topic = topic
        self.worker = worker
        self.outbox = outbox
        self.deadline = deadline
        self.clock = clock
        startedMs = clock()
    }

    /// Writes `record` to its request's partition number; `completion` runs once it is settled.
    func write(_ record: JournalRecord, _ completion: @escaping Completion) {
        let partition = record.requestPartition
        let batch = partitions.withLock { partitions -> [Pending]? in
            partitions[partition, default: Partition()].waiting.append(Pending(record: record, completion: completion))
            guard !partitions[partition]!.writing else { return nil }
            partitions[partition]!.writing = true
            return take(partition, &partitions)
        }
        if let batch { flush(batch, partition: partition) }
    }

    /// Batches written since the start (fewer than the records: that is the point).
    var messages: UInt64 { sequence.load(ordering: .relaxed) }

    private func take(_ partition: Int32, _ partitions: inout [Int32: Partition]) -> [Pending] {
        let batch = partitions[partition]!.waiting
        partitions[partition]!.waiting = []
        return batch
    }

    private func flush(_ batch: [Pending], partition: Int32) {
        let number = sequence.add(1, ordering: .relaxed).newValue
        let message = JournalRecord.batch(
            batch.map(\.record), topic: topic, partition: partition, key: "\(worker)/\(startedMs)/\(number)",
            timestampMs: clock()
        )
        outbox.publish(message, deadline: .now + deadline) { outcome in
            let offset: Int64? = if case .published(let receipts) = outcome { receipts.first?.offset } else { nil }
            for pending in batch { pending.completion(outcome, offset) }
            let next = self.partitions.withLock { partitions -> [Pending]? in
                guard !partitions[partition]!.waiting.isEmpty else {
                    partitions[partition]!.writing = false
                    return nil
                }
                return self.take(partition, &partitions)
            }
            if let next { self.flush(next, partition: partition) }
        }
    }
}
