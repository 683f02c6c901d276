import Kafka
import KafkaTestSupport

/// The agent benchmark's yardstick: the raw ``PassThrough`` (consume → produce the value back →
/// store the offset after the acknowledgement; no decoding, no ledger, no provider) over the same
/// requests (``RequestLoad``: same count, same values), run exactly like ``AgentScenario``: an
/// ``AnswerCollector`` on the output topic, the same warm-up, then the timed requests sent by the
/// same ``LoadProducer``; rate and CPU time over the same window.
struct PassThroughBaseline {
    struct Outcome: Sendable {
        var requests: Int
        var requestBytes: Int
        var answers: AnswerCollector.Outcome
        /// The pass-through's own view over all messages, warm-up included (first consumed → last
        /// reply acknowledged).
        var passThrough: PassThrough.Outcome
    }

    let context: BenchmarkContext

    func run(requests: Int) async throws -> Outcome {
        let topics = try await context.createTopics(["agent-base-in", "agent-base-out"], size: requests)
        let (input, output) = (topics[0], topics[1])
        let warmup = 100 * context.partitions
        let total = warmup + requests
        let load = RequestLoad(model: AgentScenario.model)
        let warmMessages = load.messages(0..<warmup, topic: input)
        let timedMessages = load.messages(warmup..<total, topic: input)
        let requestBytes = timedMessages.reduce(0) { $0 + $1.value.count } / max(1, timedMessages.count)

        let collector = try AnswerCollector(
            context: context,
            expectation: .init(topic: output, signalType: nil, failureTopics: [], partitions: context.partitions),
            total: total, timedFrom: warmup, boundedPrefetch: false
        )
        let producer: LoadProducer
        do {
            producer = try await LoadProducer(context: context)
        } catch {
            await collector.close(context)
            throw error
        }
        progress(
            """
            [agent baseline] raw pass-through \(input) -> \(output), offsets stored after each reply's ack; \
            warm-up: \(warmup) requests
            """
        )
        let context = context
        let passing = Task { try await PassThrough(context: context).run(input: input, output: output, count: total) }
        do {
            try await producer.send(warmMessages)
            try await collector.waitForAnswers(warmup, timeout: context.phaseTimeout)
            try await Task.sleep(for: .seconds(1))
            progress("[agent baseline] \(requests) timed provider_request signals to \(input)")
            try await producer.send(timedMessages)
            let answers = try await collector.outcome(timeout: context.phaseTimeout)
            withExtendedLifetime(timedMessages) {}
            let passed = try await passing.value
            await producer.close()
            await collector.close(context)
            let failures = passed.failedReplies + passed.failedStores + passed.uncommitted.count
            guard failures == 0 else {
                let first =
                    passed.firstError.map(String.init(describing:)) ?? passed.uncommitted.joined(separator: "; ")
                throw BenchmarkFailure(
                    "raw pass-through: \(failures) failed replies / offset stores / uncommitted partitions: \(first)"
                )
            }
            return Outcome(requests: requests, requestBytes: requestBytes, answers: answers, passThrough: passed)
        } catch {
            passing.cancel()
            _ = try? await passing.value
            await producer.close()
            await collector.close(context)
            throw error
        }
    }
}
