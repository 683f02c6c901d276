/// Bounds the calls in flight to a provider. A value type: the owner serialises access.
public struct ConcurrencyLimiter: Sendable, Hashable {
    public private(set) var limit: Int
    public private(set) var inFlight = 0

    public init(limit: Int) {
        self.limit = max(0, limit)
    }

    /// Takes a slot if one is free, and `keepingFree` more stay free after it (a batch request's
    /// reserve for interactive ones).
    public mutating func tryAcquire(keepingFree: Int = 0) -> Bool {
        guard inFlight < limit - max(0, keepingFree) else { return false }
        inFlight += 1
        return true
    }

    /// The slots a reserve of `reserve` (0 ..< 1) keeps free, rounded down, never every slot.
    public func held(_ reserve: Double) -> Int {
        guard reserve > 0, limit > 0 else { return 0 }
        return min(limit - 1, Int((Double(limit) * min(reserve, 1)).rounded(.down)))
    }

    /// Returns a slot taken with ``tryAcquire()``.
    public mutating func release() {
        precondition(inFlight > 0, "ConcurrencyLimiter released more often than acquired")
        inFlight -= 1
    }

    /// A new limit applies to new acquisitions; calls already in flight keep their slots.
    public mutating func setLimit(_ limit: Int) {
        self.limit = max(0, limit)
    }
}
