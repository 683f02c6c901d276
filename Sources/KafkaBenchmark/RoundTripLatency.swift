import Kafka

/// Awaited-send round trip: sequential ``KafkaProducer/send(_:)`` calls, each timed from call to
/// acknowledgement, after a few untimed warm-up sends.
struct RoundTripLatency {
    struct Outcome: Sendable {
        var sends: Int
        var failed: Int
        var elapsed: Duration
        var latency: LatencySummary?
        var firstError: KafkaError?
    }

    let context: BenchmarkContext

    func run(topic: String, sends: Int, warmup: Int, size: Int) async throws -> Outcome {
        let producer = try context.makeProducer()
        do {
            try await context.warmUp(producer)
            let value = Payload.bytes(size)
            let outcome = try await withDeadline(context.phaseTimeout, "\(warmup) + \(sends) awaited sends to \(topic)")
            {
                let message = KafkaProducerMessage(topic: topic, value: value)
                for _ in 0..<warmup { try await producer.send(message) }
                var recorder = LatencyRecorder()
                var failed = 0
                var firstError: KafkaError?
                let start = ContinuousClock.now
                for _ in 0..<sends {
                    let sent = ContinuousClock.now
                    do throws(KafkaError) {
                        try await producer.send(message)
                        recorder.record(.now - sent)
                    } catch {
                        failed += 1
                        if firstError == nil { firstError = error }
                    }
                }
                return Outcome(
                    sends: sends, failed: failed, elapsed: .now - start, latency: recorder.summary,
                    firstError: firstError)
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
            scenario: "send round trip", size: size, messages: outcome.sends, elapsed: outcome.elapsed,
            latency: outcome.latency, errors: outcome.failed
        )
    }
}
