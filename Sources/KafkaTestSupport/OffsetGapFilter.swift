public import Kafka

/// The decisions of ``GaplessMessages``, without a consumer: given each message's partition and
/// offset as it arrives (and the time, passed in), whether to hand it out, skip it (already handed
/// out) or drop it and read the partitions again from the expected offsets because a gap opened
/// before it. A gap that lasts `patience` is accepted as real. A value type; tests drive it with
/// synthetic offsets and instants.
public struct OffsetGapFilter: Sendable {
    public enum Decision: Sendable, Equatable {
        /// Hand the message out.
        case deliver
        /// Already handed out (read again after a new assignment): skip it.
        case skip
        /// Offsets before it are missing: drop it and assign the consumer again from these
        /// offsets (`nil`: a partition not read yet, from where `auto.offset.reset` says).
        case readAgain(from: [TopicPartition: Int64?])
    }

    public let partitions: Set<TopicPartition>
    public let patience: Duration
    /// The next offset expected per partition (once one message of it was read).
    public private(set) var expected: [TopicPartition: Int64] = [:]
    /// Open gaps: the missing offset and since when it is missing.
    private var gaps: [TopicPartition: (offset: Int64, since: ContinuousClock.Instant)] = [:]
    /// Gaps closed by the missing messages arriving, and gaps accepted as real.
    public private(set) var filled = 0
    public private(set) var accepted = 0

    public init(partitions: Set<TopicPartition>, patience: Duration) {
        self.partitions = partitions
        self.patience = patience
    }

    public mutating func admit(_ partition: TopicPartition, offset: Int64, at now: ContinuousClock.Instant) -> Decision
    {
        guard let next = expected[partition] else {
            expected[partition] = offset + 1
            return .deliver
        }
        if offset < next { return .skip }
        if offset == next {
            expected[partition] = next + 1
            if gaps.removeValue(forKey: partition) != nil { filled += 1 }
            return .deliver
        }
        if let gap = gaps[partition], gap.offset == next {
            if now - gap.since >= patience {
                gaps[partition] = nil
                accepted += 1
                expected[partition] = offset + 1
                return .deliver
            }
        } else {
            gaps[partition] = (next, now)
        }
        // Every dropped message asks for a new assignment, so one dropped from the new fetch is
        // always fetched once more.
        return .readAgain(from: Dictionary(uniqueKeysWithValues: partitions.map { ($0, expected[$0]) }))
    }
}
