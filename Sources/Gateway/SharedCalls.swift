import ProviderClient
import Synchronization

/// Requests with the same id in flight at one gateway at once (a client retrying under the same
/// `Idempotency-Key` before the first try was answered): the first makes the call, the others wait
/// for its result. Nothing stays once the call ends.
final class SharedCalls: Sendable {
    typealias Outcome = Result<ProviderCallResult, ProviderClientError>

    private let waiting = Mutex<[String: [CheckedContinuation<Outcome?, Never>]]>([:])

    /// Whether the caller makes the call for `requestID` (then it must call ``finish(_:with:)``),
    /// or another one already does (then ``follow(_:)``).
    func lead(_ requestID: String) -> Bool {
        waiting.withLock { waiting in
            guard waiting[requestID] == nil else { return false }
            waiting[requestID] = []
            return true
        }
    }

    /// The leading call's outcome, handed to every follower.
    func finish(_ requestID: String, with outcome: Outcome) {
        let followers = waiting.withLock { $0.removeValue(forKey: requestID) } ?? []
        for follower in followers { follower.resume(returning: outcome) }
    }

    /// Waits for the outcome of the call in flight for `requestID`; `nil` when it ended before
    /// the wait began (the caller then leads a call of its own, which the ledger answers).
    func follow(_ requestID: String) async -> Outcome? {
        await withCheckedContinuation { continuation in
            let registered = waiting.withLock { waiting -> Bool in
                guard waiting[requestID] != nil else { return false }
                waiting[requestID]!.append(continuation)
                return true
            }
            if !registered { continuation.resume(returning: nil) }
        }
    }

    /// Requests being called or waited for (for tests: back to 0 when all ended).
    var count: Int { waiting.withLock { $0.count } }
}
