import Kafka
import Synchronization

/// Sends the benchmark's requests: in chunks, each flushed (acknowledged) before the next, so the
/// producer never holds more than one chunk — its queue does not inflate the memory figures, and
/// it still outpaces every system under test here by far, so the requests pile up as a backlog.
/// A failed delivery fails the benchmark.
final class LoadProducer: Sendable {
    /// Messages enqueued, and what their delivery reports said.
    private final class Tally: Sendable {
        struct Counts {
            var acknowledged = 0
            var failed = 0
            var firstError: KafkaError?
        }

        let counts = Mutex(Counts())
        let sent = Atomic<Int>(0)

        var reported: Int { counts.withLock { $0.acknowledged + $0.failed } }
        var firstError: KafkaError? { counts.withLock { $0.firstError } }
    }

    private let producer: KafkaProducer
    private let tally = Tally()
    private let context: BenchmarkContext

    /// A connected producer (metadata fetched), its delivery reports counted in the background.
    init(context: BenchmarkContext) async throws {
        self.context = context
        producer = try context.makeProducer()
        do {
            try await context.warmUp(producer)
        } catch {
            try? await context.close(producer)
            throw error
        }
        Task { [producer, tally] in
            for await report in producer.deliveryReports {
                tally.counts.withLock { counts in
                    switch report.result {
                    case .success: counts.acknowledged += 1
                    case .failure(let error):
                        counts.failed += 1
                        if counts.firstError == nil { counts.firstError = error }
                    }
                }
            }
        }
    }

    /// Sends `messages` chunk by chunk and returns once every one is acknowledged.
    func send(_ messages: [KafkaProducerMessage], chunk: Int = 2_000) async throws {
        try await withDeadline(context.phaseTimeout, "produce \(messages.count) requests") { [producer, tally] in
            var start = 0
            while start < messages.count {
                let end = min(messages.count, start + chunk)
                for message in messages[start..<end] { try await producer.enqueue(message) }
                tally.sent.add(end - start, ordering: .relaxed)
                try await producer.flush(timeout: .seconds(30))
                if let error = tally.firstError {
                    throw BenchmarkFailure("producing requests failed: \(error)")
                }
                start = end
            }
            // Reports are counted asynchronously: wait until all of them are in.
            let total = tally.sent.load(ordering: .relaxed)
            while tally.reported < total { try await Task.sleep(for: .milliseconds(2)) }
            if let error = tally.firstError {
                throw BenchmarkFailure("producing requests failed: \(error)")
            }
        }
    }

    func close() async {
        try? await context.close(producer)
    }
}
