import Kafka
import KafkaTestSupport

/// Raw consume throughput: a fresh consumer group reads `count` messages of a topic; timed from
/// the first message to the last (the group join before the first message is reported apart).
struct ConsumeThroughput {
    struct Outcome: Sendable {
        var messages: Int
        var bytes: Int
        /// First message → `count`-th message.
        var elapsed: Duration
        /// Subscribe → first message (group join, first fetch).
        var join: Duration
    }

    let context: BenchmarkContext

    func run(topic: String, count: Int) async throws -> Outcome {
        let consumer = try context.makeConsumer(group: uniqueName("bench-consume"))
        do {
            try consumer.subscribe(topics: [topic])
            let outcome = try await withDeadline(context.phaseTimeout, "consume \(count) messages from \(topic)") {
                try await Self.consume(consumer, count: count)
            }
            try await context.close(consumer)
            return outcome
        } catch {
            try? await context.close(consumer)
            throw error
        }
    }

    func row(_ outcome: Outcome, size: Int) -> ResultRow {
        ResultRow(scenario: "consume (group)", size: size, messages: outcome.messages, elapsed: outcome.elapsed)
    }

    private static func consume(_ consumer: KafkaConsumer, count: Int) async throws -> Outcome {
        let subscribed = ContinuousClock.now
        var first: ContinuousClock.Instant?
        var received = 0
        var bytes = 0
        for try await message in consumer.messages {
            if first == nil { first = .now }
            received += 1
            bytes += message.value.count
            if received == count { break }
        }
        let end = ContinuousClock.now
        guard received == count, let first else {
            throw BenchmarkFailure("consumer stopped after \(received) of \(count) messages")
        }
        return Outcome(messages: received, bytes: bytes, elapsed: end - first, join: first - subscribed)
    }
}
