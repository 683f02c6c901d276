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
