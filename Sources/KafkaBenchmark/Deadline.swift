import Synchronization

/// A benchmark step that did not finish within its time limit.
struct BenchmarkTimeout: Error, CustomStringConvertible {
    let what: String
    let limit: Duration
    var description: String { "timed out after \(limit): \(what)" }
}

/// Runs `body` and returns its result, or throws ``BenchmarkTimeout`` once `limit` has passed.
///
/// The caller is released at the deadline even when `body` ignores cancellation (an awaited
/// Kafka send, a queue-full wait): `body` runs in its own task, is cancelled on timeout, and is
/// not waited for. So no wait of the benchmark can hang the process.
func withDeadline<T: Sendable>(
    _ limit: Duration, _ what: String, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let slot = ResumeOnce<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            guard slot.install(continuation) else { return }  // already cancelled
            let work = Task {
                let result: Result<T, any Error>
                do { result = .success(try await body()) } catch { result = .failure(error) }
                slot.resume(with: result)
            }
            let timer = Task {
                do { try await Task.sleep(for: limit) } catch { return }  // cancelled: body finished first
                slot.resume(with: .failure(BenchmarkTimeout(what: what, limit: limit)))
            }
            // Whoever finishes first (body, timer, caller's cancellation), the other tasks stop.
            slot.onFinish {
                timer.cancel()
                work.cancel()
            }
        }
    } onCancel: {
        slot.resume(with: .failure(CancellationError()))
    }
}

/// Resumes a continuation exactly once, whoever comes first.
private final class ResumeOnce<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var pending: Result<T, any Error>?
        var finished = false
        var finishActions: [@Sendable () -> Void] = []
    }

    private let state = Mutex(State())

    /// `false` when a result was already delivered (then `continuation` is resumed with it).
    func install(_ continuation: CheckedContinuation<T, any Error>) -> Bool {
        let early = state.withLock { state -> Result<T, any Error>? in
            if let pending = state.pending { return pending }
            state.continuation = continuation
            return nil
        }
        guard let early else { return true }
        continuation.resume(with: early)
        return false
    }

    /// Registers work to run once a result is in (immediately when it already is).
    func onFinish(_ action: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { state -> Bool in
            if state.finished { return true }
            state.finishActions.append(action)
            return false
        }
        if runNow { action() }
    }

    /// `true` when this call delivered the result.
    @discardableResult
    func resume(with result: Result<T, any Error>) -> Bool {
        let (won, continuation, actions) = state.withLock {
            state -> (Bool, CheckedContinuation<T, any Error>?, [@Sendable () -> Void]) in
            guard !state.finished else { return (false, nil, []) }
            state.finished = true
            let continuation = state.continuation
            state.continuation = nil
            if continuation == nil { state.pending = result }
            defer { state.finishActions.removeAll() }
            return (true, continuation, state.finishActions)
        }
        continuation?.resume(with: result)
        for action in actions { action() }
        return won
    }
}
