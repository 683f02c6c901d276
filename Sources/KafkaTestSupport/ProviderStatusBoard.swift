import Kafka
import Logging
public import Signals
import Synchronization

/// The latest `provider_status` of every instance of a provider, read from the status topic
/// from its beginning (manual assignment, no group join, so it starts at once), each message
/// decoded once. For tests and benchmarks that must know which agent owns what before they act —
/// e.g. that every agent process has joined the group and enforces its share of the rate limit.
public final class ProviderStatusBoard: Sendable {
    private let consumer: KafkaConsumer
    private let latestByInstance = Mutex<[String: ProviderStatus]>([:])
    private let reader = Mutex<Task<Void, Never>?>(nil)

    public init(bootstrapServers: String, topic: String) async throws {
        var configuration = KafkaConsumerConfiguration(
            bootstrapServers: bootstrapServers, groupID: uniqueName("status-board"))
        configuration.fetchMaxWait = .milliseconds(20)
        var logger = Logger(label: "status-board")
        logger.logLevel = .warning
        consumer = try KafkaConsumer(configuration: configuration, logger: logger)
        let metadata = try await consumer.metadata()
        let partitions = try metadata.partitionCount(of: topic)
        try consumer.assign(
            Set((0..<partitions).map { TopicPartition(topic: topic, partition: Int32($0)) }), from: .beginning)
        let task = Task { [consumer] in
            let decoder = SignalDecoder()
            do {
                for try await message in consumer.messages {
                    guard case .providerStatus(let status)? = try? decoder.decode(message.value).signal,
                        let instance = status.instance
                    else { continue }
                    self.latestByInstance.withLock { $0[instance] = status }
                }
            } catch {}
        }
        reader.withLock { $0 = task }
    }

    /// The latest status of each instance seen so far.
    public var latest: [String: ProviderStatus] { latestByInstance.withLock { $0 } }

    /// The partitions each of `instances` owns, when they split the request topic's
    /// `partitions` evenly among themselves: every one reports a running status, their owned
    /// partitions are disjoint and cover `0..<partitions`, each owns ⌊partitions / n⌋ or
    /// ⌈partitions / n⌉, and no other instance still reports owning any. `nil` otherwise.
    public func evenSplit(among instances: Set<String>, partitions: Int) -> [String: Set<Int>]? {
        let latest = self.latest
        var owned: [String: Set<Int>] = [:]
        for instance in instances {
            guard let status = latest[instance], status.status != "stopped" else { return nil }
            owned[instance] = Set(status.ownedPartitions ?? [])
        }
        let others = latest.filter { !instances.contains($0.key) && $0.value.status != "stopped" }
        guard others.allSatisfy({ ($0.value.ownedPartitions ?? []).isEmpty }) else { return nil }
        let counts = owned.values.map(\.count)
        guard counts.reduce(0, +) == partitions,
            owned.values.reduce(into: Set<Int>(), { $0.formUnion($1) }) == Set(0..<partitions)
        else { return nil }
        let low = partitions / max(1, instances.count)
        let high = low + (partitions % max(1, instances.count) == 0 ? 0 : 1)
        guard counts.allSatisfy({ (low...high).contains($0) }) else { return nil }
        return owned
    }

    /// Waits until ``evenSplit(among:partitions:)`` holds and returns that split.
    @discardableResult
    public func waitForEvenSplit(among instances: Set<String>, partitions: Int, timeout: Duration) async throws
        -> [String: Set<Int>]
    {
        let found = Mutex<[String: Set<Int>]?>(nil)
        try await waitUntil(
            "instances \(instances.sorted()) own an even split of \(partitions) partitions", timeout: timeout
        ) {
            guard let split = self.evenSplit(among: instances, partitions: partitions) else { return false }
            found.withLock { $0 = split }
            return true
        }
        return found.withLock { $0 } ?? [:]
    }

    public func close() async {
        try? await consumer.close()
        let task = reader.withLock { $0 }
        await task?.value
    }
}
