/// The agent's in-flight table: every request between admission and the store of its offset,
/// with its model, start time and lifecycle state. A value type: the owner serialises access.
public struct RequestTracker: Sendable {
    public enum State: String, Sendable, Hashable, Codable {
        /// Admitted, waiting for a concurrency slot or the ledger.
        case admitted
        /// The provider is being called.
        case calling
        /// The answer is being published (and recorded in the ledger).
        case publishing
    }

    public struct Entry: Sendable, Hashable {
        public var requestID: String
        public var model: String
        public var attempt: Int
        public var startedAt: ContinuousClock.Instant
        public var state: State
    }

    private var entries: [String: Entry] = [:]
    private var perModel: [String: Int] = [:]
    public private(set) var peak = 0

    public init() {}

    /// Starts tracking; `false` when the same request is already in flight (a duplicate delivery
    /// that must not call the provider a second time).
    public mutating func begin(requestID: String, model: String, attempt: Int = 1, at now: ContinuousClock.Instant)
        -> Bool
    {
        guard entries[requestID] == nil else { return false }
        entries[requestID] = Entry(
            requestID: requestID, model: model, attempt: attempt, startedAt: now, state: .admitted)
        perModel[model, default: 0] += 1
        peak = max(peak, entries.count)
        return true
    }

    public mutating func update(requestID: String, to state: State) {
        entries[requestID]?.state = state
    }

    /// Stops tracking and returns the entry (its start time gives the request's age).
    @discardableResult
    public mutating func finish(requestID: String) -> Entry? {
        guard let entry = entries.removeValue(forKey: requestID) else { return nil }
        let remaining = (perModel[entry.model] ?? 1) - 1
        perModel[entry.model] = remaining > 0 ? remaining : nil
        return entry
    }

    public var count: Int { entries.count }
    public func count(model: String) -> Int { perModel[model] ?? 0 }
    public func count(state: State) -> Int { entries.values.filter { $0.state == state }.count }
    public func entry(_ requestID: String) -> Entry? { entries[requestID] }

    /// Age of the oldest request in flight, `nil` when none.
    public func oldestAge(at now: ContinuousClock.Instant) -> Duration? {
        entries.values.map(\.startedAt).min().map { now - $0 }
    }
}
