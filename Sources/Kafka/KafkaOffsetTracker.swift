import DequeModule

/// Which offsets may be stored when messages complete out of order.
///
/// Register each consumed message (in consumption order, which is offset order per partition);
/// report completions in any order. ``completed(_:offset:)`` returns the next offset to store once
/// the partition's **contiguous completed prefix** grew: one past the highest offset below which
/// every consumed message is complete. Offsets need not be dense (compaction, transaction markers):
/// only consumed offsets count. After a revocation, ``revoke(_:)`` forgets the partitions, and
/// their late completions are ignored. A value type: the owner serialises access.
public struct KafkaOffsetTracker: Sendable {
    private struct Partition: Sendable {
        /// Consumed offsets not yet released, oldest first.
        var inFlight = Deque<Int64>()
        /// Completed offsets that wait for an older one.
        var completedAhead = Set<Int64>()
    }

    private var partitions: [TopicPartition: Partition] = [:]

    public init() {}

    /// Registers a consumed message.
    public mutating func consumed(_ partition: TopicPartition, offset: Int64) {
        partitions[partition, default: Partition()].inFlight.append(offset)
    }

    public mutating func consumed(_ message: KafkaConsumerMessage) {
        consumed(message.topicPartition, offset: message.offset)
    }

    /// Marks a consumed offset complete. Returns the next offset to store (last contiguous
    /// completed offset + 1) when the prefix advanced, else `nil` (an older message is still in
    /// flight, the partition was revoked, or the offset was never registered).
    public mutating func completed(_ partition: TopicPartition, offset: Int64) -> Int64? {
        guard var state = partitions[partition], let oldest = state.inFlight.first, offset >= oldest else { return nil }
        var next: Int64?
        if offset == oldest {
            state.inFlight.removeFirst()
            next = offset + 1
            while let head = state.inFlight.first, state.completedAhead.remove(head) != nil {
                state.inFlight.removeFirst()
                next = head + 1
            }
        } else {
            state.completedAhead.insert(offset)
        }
        partitions[partition] = state
        return next
    }

    public mutating func completed(_ message: KafkaConsumerMessage) -> Int64? {
        completed(message.topicPartition, offset: message.offset)
    }

    /// Forgets revoked or lost partitions: nothing more is stored for them.
    public mutating func revoke(_ revoked: Set<TopicPartition>) {
        for partition in revoked { partitions[partition] = nil }
    }

    /// Consumed and not yet released messages of `partition`.
    public func pending(_ partition: TopicPartition) -> Int {
        partitions[partition]?.inFlight.count ?? 0
    }

    /// Consumed and not yet released messages of all partitions.
    public var totalPending: Int {
        partitions.values.reduce(0) { $0 + $1.inFlight.count }
    }
}
