import Common
public import CoreMetrics
public import Kafka
public import Logging
import Synchronization

/// Publishes a worker's outputs without a task or a continuation per message: each message is
/// handed to librdkafka with a delivery closure, and the group's outcome is reported once, on
/// the producer's poll thread, when the last of them is settled.
///
/// Failures librdkafka's own retries could not fix are retried here with backoff (100 ms
/// doubling to 5 s) until the group's deadline, so a partition that is briefly leaderless or a
/// broker restart delays an answer instead of losing it; a queue that is full is waited out.
/// Errors no retry can fix end the group at once (``PublishOutcome/rejected(_:index:)``), and
/// the deadline ends it with ``PublishOutcome/expired(_:)``: the caller then publishes what it
/// can instead (an error at another topic, a dead letter), so a message that cannot be answered
/// where it asked never holds its partition back for longer than the deadline.
///
/// Retries and queue-full waits run in ``run()``, a child task of the worker's task group.
public final class Outbox: Sendable {
    private struct Retry: Sendable {
        let group: PublishGroup
        let index: Int
        /// `nil`: the local queue was full; wait for room instead of a backoff.
        let backoff: Duration?
    }

    private let producer: KafkaProducer
    private let logger: Logger
    private let retries: AsyncStream<Retry>.Continuation
    private let pending: AsyncStream<Retry>
    private let closed = Atomic<Bool>(false)
    private let retryCount = Atomic<Int>(0)
    /// Counts every retry for the metrics (`provider_agents.publish.retries`).
    private let retryCounter: Counter?

    public init(producer: KafkaProducer, logger: Logger, retries counter: Counter? = nil) {
        self.producer = producer
        self.logger = logger
        retryCounter = counter
        (pending, retries) = AsyncStream<Retry>.makeStream()
    }

    /// Publishes `messages` (in this order within each partition: the idempotent producer keeps
    /// it) and calls `done` once with the outcome, on an arbitrary thread (keep it short).
    public func publish(
        _ messages: [KafkaProducerMessage], deadline: ContinuousClock.Instant,
        _ done: @escaping @Sendable (PublishOutcome) -> Void
    ) {
        guard !messages.isEmpty else {
            done(.published([]))
            return
        }
        if messages.count == 1 {
            publish(messages[0], deadline: deadline, done)
            return
        }
        let group = PublishGroup(messages: messages, deadline: deadline, done: done)
        for index in messages.indices { attempt(group, index) }
    }

    /// Publishes one message; see ``publish(_:deadline:_:)``. The common case — accepted and
    /// acknowledged at the first try — costs one delivery closure, nothing more.
    public func publish(
        _ message: KafkaProducerMessage, deadline: ContinuousClock.Instant,
        _ done: @escaping @Sendable (PublishOutcome) -> Void
    ) {
        guard !closed.load(ordering: .acquiring) else {
            done(.closed)
            return
        }
        let failure = producer.produce(message) { result in
            switch result {
            case .success(let receipt):
                done(.published([receipt]))
            case .failure(let error):
                // Retries and their bookkeeping only when needed.
                let group = PublishGroup(messages: [message], deadline: deadline, done: done)
                self.failed(group, 0, error, previous: nil)
            }
        }
        guard let failure else { return }
        let group = PublishGroup(messages: [message], deadline: deadline, done: done)
        if failure.code == .queueFull {
            group.spaceGeneration = producer.queueSpaceGeneration
            retries.yield(Retry(group: group, index: 0, backoff: nil))
        } else {
            failed(group, 0, failure, previous: nil)
        }
    }

    /// Messages sent again after a failure, since the start (for status and metrics).
    public var retried: Int { retryCount.load(ordering: .relaxed) }

    /// Serves retries and queue-full waits until ``close()``; a child task of the worker.
    public func run() async {
        await withDiscardingTaskGroup { tasks in
            for await retry in pending {
                tasks.addTask {
                    if let backoff = retry.backoff {
                        try? await Task.sleep(for: backoff)
                    } else {
                        await self.producer.waitForQueueSpace(after: retry.group.spaceGeneration)
                    }
                    self.attempt(retry.group, retry.index, backoff: retry.backoff)
                }
            }
        }
    }

    /// No more retries: what is still failing ends with ``PublishOutcome/closed``.
    public func close() {
        closed.store(true, ordering: .releasing)
        retries.finish()
    }

    private func attempt(_ group: PublishGroup, _ index: Int, backoff previous: Duration? = nil) {
        if closed.load(ordering: .acquiring) {
            group.settle(index, .failure(.closed("worker")), closed: true)
            return
        }
        group.spaceGeneration = producer.queueSpaceGeneration
        let failure = producer.produce(group.messages[index]) { result in
            switch result {
            case .success:
                group.settle(index, result, closed: false)
            case .failure(let error):
                self.failed(group, index, error, previous: previous)
            }
        }
        guard let failure else { return }
        if failure.code == .queueFull {
            retries.yield(Retry(group: group, index: index, backoff: nil))
        } else {
            failed(group, index, failure, previous: previous)
        }
    }

    private func failed(_ group: PublishGroup, _ index: Int, _ error: KafkaError, previous: Duration?) {
        if error.code == .closed || closed.load(ordering: .acquiring) {
            group.settle(index, .failure(error), closed: true)
            return
        }
        if error.isPermanentForMessage {
            logger.error(
                "message rejected by the broker",
                metadata: [
                    LogKey.topic: "\(group.messages[index].topic)", LogKey.error: "\(error)",
                ])
            group.settle(index, .failure(error), closed: false)
            return
        }
        let backoff = min((previous ?? .milliseconds(50)) * 2, .seconds(5))
        guard ContinuousClock.now + backoff < group.deadline else {
            logger.error(
                "message not published before its deadline",
                metadata: [
                    LogKey.topic: "\(group.messages[index].topic)", LogKey.error: "\(error)",
                ])
            group.expire(index, error)
            return
        }
        retryCount.add(1, ordering: .relaxed)
        retryCounter?.increment()
        logger.warning(
            "publish failed, retrying",
            metadata: [
                LogKey.topic: "\(group.messages[index].topic)", LogKey.error: "\(error)",
                LogKey.backoffMs:
                    "\(backoff.components.seconds * 1000 + backoff.components.attoseconds / 1_000_000_000_000_000)",
            ])
        retries.yield(Retry(group: group, index: index, backoff: backoff))
    }
}

/// One call's messages and how many are still unsettled; reports the outcome once.
///
/// `@unchecked Sendable`: `messages`, `deadline` and `done` never change; `state` is behind its
/// mutex; `spaceGeneration` is only a hint for the queue-full wait (a stale value makes that wait
/// return early, and the attempt simply runs again).
private final class PublishGroup: @unchecked Sendable {
    private struct State {
        var remaining: Int
        var receipts: [KafkaDeliveryReceipt?]
        var outcome: PublishOutcome?
    }

    let messages: [KafkaProducerMessage]
    let deadline: ContinuousClock.Instant
    let done: @Sendable (PublishOutcome) -> Void
    var spaceGeneration: UInt64 = 0
    private let state: Mutex<State>

    init(
        messages: [KafkaProducerMessage], deadline: ContinuousClock.Instant,
        done: @escaping @Sendable (PublishOutcome) -> Void
    ) {
        self.messages = messages
        self.deadline = deadline
        self.done = done
        state = Mutex(State(remaining: messages.count, receipts: Array(repeating: nil, count: messages.count)))
    }

    func settle(_ index: Int, _ result: Result<KafkaDeliveryReceipt, KafkaError>, closed: Bool) {
        let finished = state.withLock { state -> PublishOutcome? in
            switch result {
            case .success(let receipt): state.receipts[index] = receipt
            case .failure(let error):
                if state.outcome == nil { state.outcome = closed ? .closed : .rejected(error, index: index) }
            }
            state.remaining -= 1
            guard state.remaining == 0 else { return nil }
            return state.outcome ?? .published(state.receipts.map { $0! })
        }
        if let finished { done(finished) }
    }

    func expire(_ index: Int, _ error: KafkaError) {
        let finished = state.withLock { state -> PublishOutcome? in
            if state.outcome == nil { state.outcome = .expired(error) }
            state.remaining -= 1
            return state.remaining == 0 ? state.outcome : nil
        }
        if let finished { done(finished) }
    }
}
