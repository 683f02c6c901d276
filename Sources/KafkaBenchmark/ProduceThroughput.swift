import Kafka

/// Raw produce throughput: `count` messages through ``KafkaProducer/enqueue(_:)`` while a
/// concurrent task reads ``KafkaProducer/deliveryReports`` until every message is accounted for.
struct ProduceThroughput {
    struct Outcome: Sendable {
        var delivered: Int
        var failed: Int
        /// First enqueue → last delivery report.
        var elapsed: Duration
        var firstError: KafkaError?
    }

    let context: BenchmarkContext

    func run(topic: String, count: Int, size: Int) async throws -> Outcome {
        let producer = try context.makeProducer()
        do {
            try await context.warmUp(producer)
            let outcome = try await withDeadline(
                context.phaseTimeout, "produce \(count) messages of \(size) B to \(topic)"
            ) {
                try await Self.produce(producer, topic: topic, count: count, value: Payload.bytes(size))
            }
            try await context.close(producer)
            return outcome
        } catch {
            try? await context.close(producer)
            throw error
        }
    }

    func row(_ outcome: Outcome, size: Int) -> ResultRow {
        ResultRow(
            scenario: "produce (enqueue)", size: size, messages: outcome.delivered + outcome.failed,
            elapsed: outcome.elapsed, errors: outcome.failed
        )
    }

    private enum Part: Sendable {
        case enqueued
        case reported(delivered: Int, failed: Int, firstError: KafkaError?, end: ContinuousClock.Instant)
    }

    private static func produce(_ producer: KafkaProducer, topic: String, count: Int, value: [UInt8]) async throws
        -> Outcome
    {
        let start = ContinuousClock.now
        return try await withThrowingTaskGroup(of: Part.self) { group in
            group.addTask {
                var delivered = 0
                var failed = 0
                var firstError: KafkaError?
                for await report in producer.deliveryReports {
                    switch report.result {
                    case .success: delivered += 1
                    case .failure(let error):
                        failed += 1
                        if firstError == nil { firstError = error }
                    }
                    if delivered + failed == count {
                        return .reported(delivered: delivered, failed: failed, firstError: firstError, end: .now)
                    }
                }
                throw BenchmarkFailure("delivery reports ended after \(delivered + failed) of \(count) messages")
            }
            group.addTask {
                let message = KafkaProducerMessage(topic: topic, value: value)
                for _ in 0..<count { try await producer.enqueue(message) }
                return .enqueued
            }
            // A failing child (enqueue refused, reports ended) cancels the other one.
            var outcome: Outcome?
            while let part = try await group.next() {
                if case .reported(let delivered, let failed, let firstError, let end) = part {
                    outcome = Outcome(
                        delivered: delivered, failed: failed, elapsed: end - start, firstError: firstError)
                }
            }
            guard let outcome else { throw BenchmarkFailure("produce finished without delivery reports") }
            return outcome
        }
    }
}
