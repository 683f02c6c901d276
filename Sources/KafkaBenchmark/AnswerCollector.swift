import Kafka
import KafkaTestSupport
import Signals
import Synchronization

/// Reads what a system under test answered — from the start of its output topics, by explicit
/// assignment (no group join), offsets the broker skipped read again (``GaplessMessages``) — and
/// checks that every request `i` of ``RequestLoad`` in `0..<total` gets exactly one answer on
/// ``Expectation/topic``. Anything on a failure topic
/// (`llm.errors`, `llm.dlq`) or an answer of the wrong signal type fails the run at once; answers
/// still missing at the deadline fail it too.
///
/// It is also the benchmark's clock. Requests before `timedFrom` are the warm-up (group join,
/// connections, an agent's per-partition ledger read); the timed window runs from the first
/// answer to a timed request to the last one, and the process's CPU time (user + system) is
/// sampled at both ends. So the rate is end to end — requests consumed, answered, acknowledged,
/// and read back by a client — and the same reader runs for the raw pass-through baseline.
final class AnswerCollector: Sendable {
    struct Expectation: Sendable {
        /// Where the answers go (`llm.responses`, or the pass-through's output topic).
        var topic: String
        /// Required `signal-type` header of every answer (`nil`: not checked).
        var signalType: String?
        /// Topics on which any message fails the run.
        var failureTopics: [String]
        /// Partitions of each of these topics.
        var partitions: Int
    }

    struct Outcome: Sendable {
        /// Timed answers (requests `timedFrom..<total`).
        var answers: Int
        /// First timed answer read → last timed answer read.
        var elapsed: Duration
        /// Process CPU time (user + system) over the same window.
        var cpu: Duration
        /// The broker's CPU seconds over the same window, when the benchmark started it.
        var brokerCPU: Double? = nil
        /// Rate between the 10th and the 90th percentile timed answer (no ramp-up, no tail).
        var steadyRate: Double?
        /// When the first answer at all (warm-up) and the first timed answer were read.
        var firstAnswer: ContinuousClock.Instant
        var windowStart: ContinuousClock.Instant
        /// Answers seen again after their first (should be none).
        var duplicates: Int
        /// About 200 answers (key, value), spread over the run, for a full decode after the timed window.
        var samples: [(key: [UInt8]?, value: [UInt8])]
    }

    /// What the reading task has seen so far, for waits and for the message when answers are missing.
    private final class Progress: Sendable {
        let distinct = Atomic<Int>(0)
        let failure = Mutex<(any Error)?>(nil)
        /// Which requests have an answer (for the message when some are missing).
        let seen: Mutex<[Bool]>

        init(total: Int) {
            seen = Mutex([Bool](repeating: false, count: total))
        }

        /// The first `limit` request indexes without an answer.
        func missing(limit: Int) -> [Int] {
            seen.withLock { seen in
                var missing: [Int] = []
                for index in seen.indices where !seen[index] {
                    missing.append(index)
                    if missing.count == limit { break }
                }
                return missing
            }
        }
    }

    private let consumer: KafkaConsumer
    private let task: Task<Outcome, any Error>
    private let progress: Progress
    /// Offset gaps the broker served while the answers were read (filled by reading again).
    let gaps: GapTally
    private let total: Int
    private let expectation: Expectation

    /// Starts reading at once (call it before the system under test starts answering).
    /// - Parameter boundedPrefetch: a 2 MB prefetch queue (``BenchmarkContext/makeReader(group:)``)
    ///   where the process's memory is measured; otherwise librdkafka's default (64 MB), which
    ///   keeps the reader well ahead of the fast raw pass-through.
    init(context: BenchmarkContext, expectation: Expectation, total: Int, timedFrom: Int, boundedPrefetch: Bool) throws
    {
        let group = uniqueName("bench-answers")
        consumer = try boundedPrefetch ? context.makeReader(group: group) : context.makeConsumer(group: group)
        var partitions: [TopicPartition: Int64?] = [:]
        for topic in [expectation.topic] + expectation.failureTopics {
            for partition in 0..<expectation.partitions {
                // fresh topics: 0 is the start
                partitions[TopicPartition(topic: topic, partition: Int32(partition))] = 0
            }
        }
        try consumer.assign(partitions)
        self.total = total
        self.expectation = expectation
        let progress = Progress(total: total)
        self.progress = progress
        let gaps = GapTally()
        self.gaps = gaps
        task = Task { [consumer] in
            do {
                return try await Self.read(
                    GaplessMessages(consumer: consumer, partitions: Set(partitions.keys), tally: gaps),
                    expectation: expectation, total: total,
                    timedFrom: timedFrom, progress: progress
                )
            } catch {
                progress.failure.withLock { $0 = error }
                throw error
            }
        }
    }

    /// Returns once `count` distinct answers are in (the warm-up); fails like ``outcome(timeout:)``.
    func waitForAnswers(_ count: Int, timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while progress.distinct.load(ordering: .relaxed) < count {
            if let failure = progress.failure.withLock({ $0 }) { throw failure }
            guard ContinuousClock.now < deadline else {
                throw BenchmarkFailure(
                    """
                    \(count - progress.distinct.load(ordering: .relaxed)) of \(count) warm-up answers missing on \
                    \(expectation.topic) after \(timeout)
                    """
                )
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Waits until every answer is in (or fails with how many are missing after `timeout`).
    func outcome(timeout: Duration) async throws -> Outcome {
        do {
            return try await withDeadline(timeout, "reading \(total) answers from \(expectation.topic)") { [task] in
                try await task.value
            }
        } catch let timeout as BenchmarkTimeout {
            task.cancel()
            let got = progress.distinct.load(ordering: .relaxed)
            let missing = progress.missing(limit: 5).map(RequestLoad.requestID)
            throw BenchmarkFailure(
                """
                \(total - got) of \(total) answers missing on \(expectation.topic), e.g. \
                \(missing.joined(separator: ", ")) (\(timeout))
                """
            )
        }
    }

    func close(_ context: BenchmarkContext) async {
        task.cancel()
        try? await context.close(consumer)
    }

    private static func read(
        _ messages: GaplessMessages, expectation: Expectation, total: Int, timedFrom: Int, progress: Progress
    ) async throws -> Outcome {
        let failureTopics = Set(expectation.failureTopics)
        let signalType = expectation.signalType.map { Array($0.utf8) }
        let timed = total - timedFrom
        let sampleEvery = max(1, total / 200)
        let (tenth, ninetieth) = (max(1, timed / 10), max(1, timed * 9 / 10))
        var seen = [Bool](repeating: false, count: total)
        var distinct = 0
        var distinctTimed = 0
        var duplicates = 0
        var samples: [(key: [UInt8]?, value: [UInt8])] = []
        var first: ContinuousClock.Instant?
        var start: (at: ContinuousClock.Instant, cpu: Duration, broker: Double?)?
        var marks: (tenth: ContinuousClock.Instant?, ninetieth: ContinuousClock.Instant?)
        for try await message in messages {
            if failureTopics.contains(message.topic) {
                throw BenchmarkFailure(
                    """
                    unexpected message on \(message.topic) (key \(message.keyString ?? "none")): \
                    \(Self.describe(message))
                    """
                )
            }
            if let signalType, message.header(SignalHeader.signalType)?.value != signalType {
                throw BenchmarkFailure(
                    """
                    answer of type \(message.header(SignalHeader.signalType)?.stringValue ?? "none") on \
                    \(message.topic), expected \(expectation.signalType ?? ""): \(Self.describe(message))
                    """
                )
            }
            guard let index = RequestLoad.index(ofKey: message.key), index < total else {
                throw BenchmarkFailure("answer with unknown key \(message.keyString ?? "none") on \(message.topic)")
            }
            if first == nil { first = .now }
            if seen[index] {
                duplicates += 1
                continue
            }
            seen[index] = true
            progress.seen.withLock { $0[index] = true }
            distinct += 1
            progress.distinct.store(distinct, ordering: .relaxed)
            if index % sampleEvery == 0 { samples.append((message.key, message.value)) }
            if index >= timedFrom {
                if start == nil { start = (.now, ProcessUsage.cpuTime(), ProcessUsage.brokerCPUSeconds()) }
                distinctTimed += 1
                if distinctTimed == tenth { marks.tenth = .now }
                if distinctTimed == ninetieth { marks.ninetieth = .now }
            }
            if distinct == total, let first, let start {
                let end = ContinuousClock.now
                let cpu = ProcessUsage.cpuTime() - start.cpu
                var steadyRate: Double?
                if let from = marks.tenth, let to = marks.ninetieth, to > from {
                    steadyRate = Double(ninetieth - tenth) / (to - from).seconds
                }
                var outcome = Outcome(
                    answers: timed, elapsed: end - start.at, cpu: cpu, steadyRate: steadyRate, firstAnswer: first,
                    windowStart: start.at, duplicates: duplicates, samples: samples
                )
                if let before = start.broker, let after = ProcessUsage.brokerCPUSeconds() {
                    outcome.brokerCPU = after - before
                }
                return outcome
            }
        }
        throw BenchmarkFailure("answer reader stopped after \(distinct) of \(total) answers")
    }

    /// A short account of an unexpected message: the decoded signal when it is one.
    private static func describe(_ message: KafkaConsumerMessage) -> String {
        guard let envelope = try? SignalDecoder().decode(message.value) else {
            return String(message.valueString.prefix(300))
        }
        if case .providerError(let error) = envelope.signal {
            return "provider_error \(error.errorType.rawValue): \(error.error)"
        }
        return String(message.valueString.prefix(300))
    }
}
