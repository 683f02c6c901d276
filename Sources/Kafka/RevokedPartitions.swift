import Synchronization

/// Partitions revoked or lost while a poll batch was being collected (the rebalance callback runs
/// inside `rd_kafka_consumer_poll`), so the batch can drop their messages before handing it out.
/// A `Mutex` protects the set; an atomic flag keeps the per-message check lock-free.
final class RevokedPartitions: Sendable {
    private let partitions = Mutex<Set<TopicPartition>>([])
    private let pending = Atomic<Bool>(false)

    func add(_ revoked: Set<TopicPartition>) {
        guard !revoked.isEmpty else { return }
        partitions.withLock { $0.formUnion(revoked) }
        pending.store(true, ordering: .releasing)
    }

    /// Removes messages of partitions revoked since the last call.
    func drop(from batch: inout [KafkaConsumerMessage]) {
        guard pending.load(ordering: .acquiring) else { return }
        pending.store(false, ordering: .releasing)
        let revoked = partitions.withLock { partitions -> Set<TopicPartition> in
            defer { partitions.removeAll() }
            return partitions
        }
        batch.removeAll { revoked.contains($0.topicPartition) }
    }
}
