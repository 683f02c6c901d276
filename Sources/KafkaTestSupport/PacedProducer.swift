public import Kafka
import Logging
import Synchronization

/// Offers a steady load: message `i` is handed to the producer at `start + i / rate` — never
/// earlier; when the machine falls behind, at once — without awaiting each acknowledgement
/// (delivery failures are counted from the producer's reports). For integration tests and
/// benchmarks whose requests must be spread over time: a rate limit's window, a rebalance under
/// load.
public final class PacedProducer: Sendable {
    private let producer: KafkaProducer
    private let failures = Mutex<(count: Int, first: KafkaError?)>((0, nil))
    private let reports = Mutex<Task<Void, Never>?>(nil)

    public init(bootstrapServers: String) throws {
        var logger = Logger(label: "paced-producer")
        logger.logLevel = .warning
        producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(bootstrapServers: bootstrapServers), logger: logger)
        let task = Task { [producer] in
            for await report in producer.deliveryReports {
                if case .failure(let error) = report.result {
                    self.failures.withLock { failures in
                        failures.count += 1
                        if failures.first == nil { failures.first = error }
                    }
                }
            }
        }
        reports.withLock { $0 = task }
    }

    /// Connects (fetches metadata), so the first paced message does not wait for it.
    public func connect(timeout: Duration = .seconds(30)) async throws {
        _ = try await producer.metadata(timeout: timeout)
    }

    /// Sends `count` messages, `message(i)` at `start + i / perSecond`, stopping early when the
    /// task is cancelled; returns the instant each message was handed to the producer (in order).
    public func send(
        count: Int, perSecond rate: Double, from start: ContinuousClock.Instant = .now,
        _ message: (Int) -> KafkaProducerMessage
    ) async throws -> [ContinuousClock.Instant] {
        precondition(rate > 0, "rate must be positive")
        var sent: [ContinuousClock.Instant] = []
        sent.reserveCapacity(count)
        for index in 0..<count {
            let due = start + .seconds(Double(index) / rate)
            if due > .now {
                do { try await Task.sleep(until: due, clock: .continuous) } catch { break }
            }
            try await producer.enqueue(message(index))
            sent.append(.now)
        }
        return sent
    }

    /// Waits until every message sent is acknowledged or failed.
    public func flush(timeout: Duration = .seconds(30)) async throws {
        try await producer.flush(timeout: timeout)
    }

    /// Deliveries that failed so far, and the first failure.
    public var failedDeliveries: (count: Int, first: KafkaError?) { failures.withLock { $0 } }

    public func close() async {
        await producer.close(timeout: .seconds(10))
        let task = reports.withLock { $0 }
        await task?.value
    }
}
