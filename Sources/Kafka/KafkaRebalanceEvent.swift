/// A change of a group consumer's assignment, in the order it happened.
public enum KafkaRebalanceEvent: Sendable, Hashable {
    /// These partitions were added to this member's assignment.
    case assigned(Set<TopicPartition>)
    /// These partitions were taken away in an orderly rebalance; their stored offsets were
    /// committed, and offsets can no longer be stored for them.
    case revoked(Set<TopicPartition>)
    /// This member lost these partitions (session timeout, fencing): another member may already
    /// own them. Nothing more may be committed for them.
    case lost(Set<TopicPartition>)

    /// `assigned`, `revoked` or `lost` (for logs).
    public var kind: String {
        switch self {
        case .assigned: "assigned"
        case .revoked: "revoked"
        case .lost: "lost"
        }
    }

    public var partitions: Set<TopicPartition> {
        switch self {
        case .assigned(let partitions), .revoked(let partitions), .lost(let partitions): partitions
        }
    }
}
