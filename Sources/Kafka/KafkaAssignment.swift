/// A consumer's assignment with the **epoch** each partition was assigned in.
///
/// Every assignment change that adds partitions opens a new epoch; a fetched message is stamped
/// with the epoch current when it was polled. The message is *current* while its partition is
/// still assigned and was not assigned again since: a partition that moved to another member and
/// came back is read again from its committed offset, so what was fetched before the move is
/// stale even though the partition is owned again. A value type: the consumer serialises access.
struct KafkaAssignment: Sendable {
    private(set) var epoch: UInt64 = 0
    private var assignedAt: [TopicPartition: UInt64] = [:]

    var partitions: Set<TopicPartition> { Set(assignedAt.keys) }

    /// Partitions added to the assignment (a group's rebalance).
    mutating func add(_ added: Set<TopicPartition>) {
        guard !added.isEmpty else { return }
        epoch += 1
        for partition in added { assignedAt[partition] = epoch }
    }

    /// Partitions revoked or lost.
    mutating func remove(_ removed: Set<TopicPartition>) {
        for partition in removed { assignedAt[partition] = nil }
    }

    /// A manual assignment replacing the previous one: every partition starts anew.
    mutating func replace(with partitions: Set<TopicPartition>) {
        assignedAt = [:]
        add(partitions)
    }

    /// Whether a message of `partition` polled in `fetchEpoch` still belongs to the assignment.
    func isCurrent(_ partition: TopicPartition, fetchEpoch: UInt64) -> Bool {
        guard let assigned = assignedAt[partition] else { return false }
        return assigned <= fetchEpoch
    }
}
