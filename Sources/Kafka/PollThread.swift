import Foundation
import Synchronization

/// A dedicated OS thread that runs `iteration` (a bounded blocking librdkafka poll) until stopped.
/// Keeps blocking polls off Swift's cooperative thread pool.
final class PollThread: Sendable {
    private struct State {
        var running = true
        var exited = false
        var exitWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    init(name: String, iteration: @escaping @Sendable () -> Void) {
        let thread = Thread { [self] in
            while state.withLock({ $0.running }) {
                iteration()
            }
            let waiters = self.state.withLock { state -> [CheckedContinuation<Void, Never>] in
                state.exited = true
                defer { state.exitWaiters.removeAll() }
                return state.exitWaiters
            }
            for waiter in waiters { waiter.resume() }
        }
        thread.name = name
        thread.start()
    }

    /// Asks the thread to stop after its current iteration.
    func stop() {
        state.withLock { $0.running = false }
    }

    /// Stops the thread and waits until it has exited.
    func stopAndWait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let exited = state.withLock { state -> Bool in
                state.running = false
                if state.exited { return true }
                state.exitWaiters.append(continuation)
                return false
            }
            if exited { continuation.resume() }
        }
    }
}
