import NIOCore
import Synchronization

/// The request timeout of one stream: a task on an event loop that cancels the task reading the
/// stream when the timeout passes — one scheduled task, where a child task sleeping beside the
/// reader (a task group, two child tasks and a timer per stream) used to be — and remembers that
/// it fired, so that the reader's cancellation is reported as the timeout it is.
final class StreamDeadline: Sendable {
    private struct State {
        var timer: Scheduled<Void>?
        var cancelled = false
        var fired = false
    }

    private let state = Mutex(State())

    /// Cancels `task` after `timeout` on `eventLoop`, unless ``cancel()`` comes first.
    func arm(on eventLoop: any EventLoop, after timeout: Duration, cancelling task: Task<Void, Never>) {
        let (seconds, attoseconds) = timeout.components
        let delay = TimeAmount.nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        state.withLock { state in
            guard !state.cancelled else { return }
            state.timer = eventLoop.scheduleTask(in: delay) { [self] in
                let fire = self.state.withLock { state in
                    guard !state.cancelled else { return false }
                    state.fired = true
                    return true
                }
                if fire { task.cancel() }
            }
        }
    }

    /// The stream ended (or its reader is gone): the timeout no longer applies.
    func cancel() {
        let timer = state.withLock { state in
            state.cancelled = true
            defer { state.timer = nil }
            return state.timer
        }
        timer?.cancel()
    }

    var hasFired: Bool {
        state.withLock { $0.fired }
    }
}
