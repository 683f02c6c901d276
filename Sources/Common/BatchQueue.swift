public import Synchronization

/// A queue between threads that hand over items one by one and one task that takes them in
/// batches: a lock, an array and one parked continuation.
///
/// Instead of an `AsyncStream`, whose buffer drops its first element by moving all the others
/// (quadratic in the backlog) and whose generic code runs unspecialized per element: here a
/// taker gets every item queued since it last looked in one array, so under load one wake-up
/// serves many items and an item costs an array append. The worker's jobs and the producer's
/// delivery reports go through it.
///
/// One taker at a time. The methods are inlinable so that each user gets code specialized for
/// its element type.
public final class BatchQueue<Element: Sendable>: Sendable {
    @usableFromInline
    struct State: Sendable {
        @usableFromInline var pending: [Element] = []
        @usableFromInline var waiter: CheckedContinuation<[Element], Never>?
        @usableFromInline var finished = false

        @inlinable init() {}

        @inlinable
        mutating func takeAll() -> [Element] {
            defer { pending = [] }
            return pending
        }
    }

    @usableFromInline let state = Mutex<State>(State())

    @inlinable
    public init() {}

    /// Queues `item`; `false` (dropped) once the queue is finished.
    @inlinable
    @discardableResult
    public func append(_ item: Element) -> Bool {
        var accepted = true
        let waiter = state.withLock { state -> CheckedContinuation<[Element], Never>? in
            guard !state.finished else {
                accepted = false
                return nil
            }
            guard let waiter = state.waiter else {
                state.pending.append(item)
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume(returning: [item])
        return accepted
    }

    /// Every item queued since the last call, in order, waiting for one when there are none;
    /// empty once the queue is finished (or the calling task is cancelled) and nothing is left.
    /// Cancelling a waiting taker finishes the queue.
    @inlinable
    public func next() async -> [Element] {
        if let ready = state.withLock({ $0.pending.isEmpty ? nil : $0.takeAll() }) { return ready }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<[Element], Never>) in
                let ready = state.withLock { state -> [Element]? in
                    if !state.pending.isEmpty || state.finished || Task.isCancelled { return state.takeAll() }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            finish()
        }
    }

    /// Every item queued since the last call, without waiting (empty when there is none).
    @inlinable
    public func drain() -> [Element] {
        state.withLock { $0.pending.isEmpty ? [] : $0.takeAll() }
    }

    /// No more items are accepted; a waiting ``next()`` returns what is left.
    @inlinable
    public func finish() {
        let waiter = state.withLock { state -> CheckedContinuation<[Element], Never>? in
            state.finished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: [])
    }

    /// Whether ``finish()`` was called.
    @inlinable
    public var isFinished: Bool { state.withLock { $0.finished } }
}
