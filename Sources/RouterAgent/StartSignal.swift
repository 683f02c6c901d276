import Synchronization

/// Fired once; waiters before it wait, waiters after it return at once.
final class StartSignal: Sendable {
    private let waiters = Mutex<[CheckedContinuation<Void, Never>]?>([])

    func fire() {
        let waiting = waiters.withLock { waiters -> [CheckedContinuation<Void, Never>] in
            defer { waiters = nil }
            return waiters ?? []
        }
        for waiter in waiting { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let parked = waiters.withLock { waiters -> Bool in
                guard waiters != nil else { return false }
                waiters!.append(continuation)
                return true
            }
            if !parked { continuation.resume() }
        }
    }
}
