import Synchronization

/// The jobs a worker's handler submits (provider calls), waiting for the worker's job task to
/// start them as child tasks.
///
/// A lock and one parked continuation instead of an `AsyncStream`: the job task takes every job
/// submitted since it last looked in one batch, so under load one wake-up starts many jobs, and
/// a job costs an array append rather than the stream's generic per-element bookkeeping (about
/// 6% of the agent's CPU in the benchmark profile).
final class JobQueue: Sendable {
    typealias Job = @Sendable () async -> Void

    private struct State {
        var pending: [Job] = []
        var waiter: CheckedContinuation<[Job], Never>?
        var finished = false
    }

    private let state = Mutex(State())

    /// Queues `job`; dropped once the queue is finished (the worker is past its drain).
    func submit(_ job: @escaping Job) {
        let waiter = state.withLock { state -> CheckedContinuation<[Job], Never>? in
            guard !state.finished else { return nil }
            guard let waiter = state.waiter else {
                state.pending.append(job)
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume(returning: [job])
    }

    /// Every job queued since the last call, waiting for one when there are none; empty once the
    /// queue is finished (or the calling task is cancelled) and nothing is left.
    func next() async -> [Job] {
        if let ready = state.withLock({ $0.pending.isEmpty ? nil : Self.takeAll(&$0) }) { return ready }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<[Job], Never>) in
                let ready = state.withLock { state -> [Job]? in
                    if !state.pending.isEmpty || state.finished || Task.isCancelled { return Self.takeAll(&state) }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            finish()
        }
    }

    /// No more jobs are accepted; a waiting ``next()`` returns what is left.
    func finish() {
        let waiter = state.withLock { state -> CheckedContinuation<[Job], Never>? in
            state.finished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: [])
    }

    private static func takeAll(_ state: inout State) -> [Job] {
        defer { state.pending = [] }
        return state.pending
    }
}
