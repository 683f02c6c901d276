import Kafka
import KafkaTestSupport
import Signals
import Synchronization

/// Follows the agent's `provider_status` on `llm.status` and keeps the status with the highest
/// `metrics.in_flight` — requests the agent has taken from the request topic and not finished
/// (waiting for their ledger, at the provider, or being published): the agent's own view, next to
/// the calls in progress that ``CountingProvider`` counts — together with the process's RSS read
/// the moment that status was read (statuses come every 100 ms; the agent has no hook to sample
/// its in-flight count directly).
final class StatusWatch: Sendable {
    private let consumer: KafkaConsumer
    private let task = Mutex<Task<Void, Never>?>(nil)
    private let highest = Mutex<ResourceSampler.Sample?>(nil)

    init(context: BenchmarkContext, topic: String, partitions: Int) throws {
        consumer = try context.makeReader(group: uniqueName("bench-status"))
        var assignment: [TopicPartition: Int64?] = [:]
        for partition in 0..<partitions { assignment[TopicPartition(topic: topic, partition: Int32(partition))] = 0 }
        try consumer.assign(assignment)
        let reading = Task { [consumer] in
            let decoder = SignalDecoder()
            do {
                for try await message in consumer.messages {
                    guard case .providerStatus(let status)? = try? decoder.decode(message.value).signal,
                        let inFlight = status.metrics.inFlight
                    else { continue }
                    self.record(inFlight)
                }
            } catch {}
        }
        task.withLock { $0 = reading }
    }

    private func record(_ inFlight: Int) {
        let resident = ProcessUsage.residentBytes() ?? 0
        guard inFlight > (highest.withLock { $0?.inFlight ?? 0 }) else { return }
        // A new highest: the memory in use too, once freed heap is given back (the load
        // producer's sent buffers, for one, are freed but stay resident).
        ProcessUsage.trimHeap()
        let live = ProcessUsage.residentBytes()
        highest.withLock { highest in
            if inFlight > (highest?.inFlight ?? 0) {
                highest = ResourceSampler.Sample(inFlight: inFlight, residentBytes: resident, liveBytes: live)
            }
        }
    }

    /// Highest `metrics.in_flight` seen so far, with the RSS when it was read.
    var peak: ResourceSampler.Sample? { highest.withLock { $0 } }

    func close(_ context: BenchmarkContext) async {
        task.withLock { $0?.cancel() }
        try? await context.close(consumer)
    }
}
