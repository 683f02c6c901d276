import Synchronization

/// Lets producers wait, without blocking a thread, for room in librdkafka's local queue.
///
/// The poll thread calls ``signal()`` whenever it served delivery reports (which free room).
/// A waiter passes the generation it saw before its failed attempt, so a signal between the
/// attempt and the wait is never missed.
final class QueueSpace: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var finished = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    var generation: UInt64 { state.withLock { $0.generation } }

    func wait(after generation: UInt64) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                if state.finished || state.generation != generation { return true }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    func signal() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.generation &+= 1
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Releases every waiter for good (on close; their next attempt fails with `closed`).
    func finish() {
        state.withLock { $0.finished = true }
        signal()
    }
}
