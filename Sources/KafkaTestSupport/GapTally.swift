import Synchronization

/// How many offset gaps ``GaplessMessages`` met: filled by reading again, or accepted as real
/// after its patience. Shared by the iterators of a reader that wants to report them.
public final class GapTally: Sendable {
    private let counts = Mutex<(filled: Int, accepted: Int)>((0, 0))

    public init() {}

    public var filled: Int { counts.withLock { $0.filled } }
    public var accepted: Int { counts.withLock { $0.accepted } }

    func recordFilled() { counts.withLock { $0.filled += 1 } }
    func recordAccepted() { counts.withLock { $0.accepted += 1 } }
}
