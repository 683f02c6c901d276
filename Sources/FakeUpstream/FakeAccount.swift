import Synchronization

/// A simulated upstream account limit: `requestsPerWindow` per model per fixed window. The
/// answers carry the real remaining count and reset time in the provider's rate-limit headers
/// (`x-ratelimit-*`, `anthropic-ratelimit-*`), and a request over the limit is answered 429 with
/// `retry-after` up to the window's end — so an agent's upstream pacing can be tested end to end.
public struct FakeAccountLimit: Sendable, Hashable {
    public var requestsPerWindow: Int
    public var window: Duration

    public init(requestsPerWindow: Int, window: Duration) {
        self.requestsPerWindow = requestsPerWindow
        self.window = window
    }
}

/// The usage of a ``FakeAccountLimit``, per model.
final class FakeAccount: Sendable {
    /// One answer's view of the account.
    struct Snapshot: Sendable, Hashable {
        var limit: Int
        var remaining: Int
        var resetIn: Duration
        var exhausted: Bool
    }

    let limit: FakeAccountLimit?
    // Protected by the mutex: per model, the window's start and the requests counted in it.
    private let usage = Mutex<[String: (start: ContinuousClock.Instant, used: Int)]>([:])

    init(limit: FakeAccountLimit?) {
        self.limit = limit
    }

    /// Counts one request for `model`; `nil` without a limit.
    func take(model: String, at now: ContinuousClock.Instant = .now) -> Snapshot? {
        guard let limit else { return nil }
        return usage.withLock { usage in
            var entry = usage[model] ?? (now, 0)
            if now - entry.start >= limit.window { entry = (now, 0) }
            let resetIn = limit.window - (now - entry.start)
            guard entry.used < limit.requestsPerWindow else {
                usage[model] = entry
                return Snapshot(limit: limit.requestsPerWindow, remaining: 0, resetIn: resetIn, exhausted: true)
            }
            entry.used += 1
            usage[model] = entry
            return Snapshot(
                limit: limit.requestsPerWindow, remaining: limit.requestsPerWindow - entry.used, resetIn: resetIn,
                exhausted: false)
        }
    }
}

extension FakeUpstream {
    static func ceilingMilliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return max(1, Int(seconds) * 1000 + Int((Double(attoseconds) / 1e15).rounded(.up)))
    }

    static func ceilingSeconds(_ duration: Duration) -> Int {
        (ceilingMilliseconds(duration) + 999) / 1000
    }
}
