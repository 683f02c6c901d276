import Kafka
import KafkaTestSupport

/// Consume → produce pass-through: a consumer group reads `count` pre-loaded messages; for each,
/// a reply of the same size is enqueued to the output topic (same partition number, same key),
/// and the input offset is stored only after the reply's delivery report came back. Timed from
/// the first message consumed to the last reply acknowledged; the latency columns are per
/// message, consumed → reply acknowledged.
struct PassThrough {
    struct Outcome: Sendable {
        var messages: Int
        var elapsed: Duration
        var join: Duration
        var latency: LatencySummary?
        var failedReplies: Int
        var failedStores: Int
        var firstError: KafkaError?
        /// Partitions whose committed offset is not the end of what was consumed (should be none).
        var uncommitted: [String]
    }

    let context: BenchmarkContext

    func run(input: String, output: String, count: Int) async throws -> Outcome {
        let producer = try context.makeProducer()
        let consumer: KafkaConsumer
        do {
            consumer = try context.makeConsumer(group: uniqueName("bench-pass"))
        } catch {
            try? await context.close(producer)
            throw error
        }
        do {
            try await context.warmUp(producer)
            try consumer.subscribe(topics: [input])
            let ledger = PassThroughLedger(consumer: consumer)
            let timing = try await withDeadline(
                context.phaseTimeout, "pass \(count) messages from \(input) to \(output)"
            ) {
                try await Self.pass(
                    consumer: consumer, producer: producer, ledger: ledger, output: output, count: count)
            }
            let uncommitted = try await commitAndVerify(consumer, ledger: ledger)
            try await context.close(consumer)
            try await context.close(producer)
            return Outcome(
                messages: count, elapsed: timing.elapsed, join: timing.join, latency: ledger.latency,
                failedReplies: ledger.failedReplies, failedStores: ledger.failedStores, firstError: ledger.firstError,
                uncommitted: uncommitted
            )
        } catch {
            try? await context.close(consumer)
            try? await context.close(producer)
            throw error
        }
    }

    func row(_ outcome: Outcome, size: Int) -> ResultRow {
        ResultRow(
            scenario: "consume->produce", size: size, messages: outcome.messages, elapsed: outcome.elapsed,
            latency: outcome.latency, errors: outcome.failedReplies + outcome.failedStores + outcome.uncommitted.count
        )
    }

    private struct Timing: Sendable {
        var elapsed: Duration
        var join: Duration
    }

    private enum Part: Sendable {
        case consumed(first: ContinuousClock.Instant, subscribed: ContinuousClock.Instant)
        case acknowledged(last: ContinuousClock.Instant)
    }

    private static func pass(
        consumer: KafkaConsumer, producer: KafkaProducer, ledger: PassThroughLedger, output: String, count: Int
    ) async throws -> Timing {
        let subscribed = ContinuousClock.now
        return try await withThrowingTaskGroup(of: Part.self) { group in
            group.addTask {
                var acknowledged = 0
                for await report in producer.deliveryReports {
                    ledger.reported(report, at: .now)
                    acknowledged += 1
                    if acknowledged == count { return .acknowledged(last: .now) }
                }
                throw BenchmarkFailure("delivery reports ended after \(acknowledged) of \(count) replies")
            }
            group.addTask {
                var first: ContinuousClock.Instant?
                var consumed = 0
                for try await message in consumer.messages {
                    let now = ContinuousClock.now
                    if first == nil { first = now }
                    let reply = KafkaProducerMessage(
                        topic: output, partition: message.partition, key: message.key, value: message.value)
                    let id = try await producer.enqueue(reply)
                    ledger.replied(to: message, id: id, consumedAt: now)
                    consumed += 1
                    if consumed == count { break }
                }
                guard consumed == count, let first else {
                    throw BenchmarkFailure("consumer stopped after \(consumed) of \(count) messages")
                }
                return .consumed(first: first, subscribed: subscribed)
            }
            var first: ContinuousClock.Instant?
            var last: ContinuousClock.Instant?
            while let part = try await group.next() {
                switch part {
                case .consumed(let start, _): first = start
                case .acknowledged(let end): last = end
                }
            }
            guard let first, let last else { throw BenchmarkFailure("pass-through ended without timings") }
            return Timing(elapsed: last - first, join: first - subscribed)
        }
    }

    /// Commits the stored offsets and checks that each partition's committed offset is the end of
    /// what was consumed; returns the partitions where it is not.
    private func commitAndVerify(_ consumer: KafkaConsumer, ledger: PassThroughLedger) async throws -> [String] {
        let expected = ledger.consumedThrough
        let committed = try await withDeadline(context.phaseTimeout, "commit and read back offsets") {
            try await consumer.commit()
            return try await consumer.committed(Array(expected.keys), timeout: .seconds(10))
        }
        return expected.compactMap { partition, end in
            committed[partition] == end
                ? nil : "\(partition) committed \(committed[partition].map(String.init) ?? "none"), expected \(end)"
        }.sorted()
    }
}
