import Common
public import Kafka
public import Logging
import Synchronization

/// A worker without Kafka: the same ``WorkerHandler`` code, driven by a test through
/// ``deliver(_:)``, with outputs, message ends and journal records kept in memory and time on a
/// manual clock. The journal behaves as ``Journal`` does (same ``JournalBook``): claims, waits
/// of copies in flight, replays, recalls after ``restart()``.
///
/// ```swift
/// let worker = InProcessWorker(handler: handler, name: "agent/test/1", journal: .init(topic: "ledger"))
/// try await worker.run { worker in
///     worker.deliver(KafkaConsumerMessage(topic: "requests", partition: 0, offset: 0, key: nil, value: bytes))
///     await worker.settle()
///     #expect(worker.published.count == 1)
/// }
/// ```
public final class InProcessWorker<Handler: WorkerHandler>: WorkerIO, Sendable {
    /// How a delivered message ended.
    public enum End: Sendable, Hashable {
        case finished
        case abandoned
        case deadLettered(code: String, reason: String)
    }

    private struct StoredRecord: Sendable {
        var offset: Int64
        var record: JournalRecord
    }

    private struct State: Sendable {
        var clockMs: Int64
        var published: [KafkaProducerMessage] = []
        var ends: [TopicPartition: [Int64: End]] = [:]
        var open = 0
        var jobs = 0
        var generations: [TopicPartition: Int] = [:]
        var nextOffset: [TopicPartition: Int64] = [:]
        var book: JournalBook?
        var records: [Int32: [StoredRecord]] = [:]
        var refusals: [String: KafkaError] = [:]
        var stalled: Set<String> = []
        var held: [(dueMs: Int64, outputs: [KafkaProducerMessage], message: WorkerMessage)] = []
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
        var jobTasks: [Int: Task<Void, Never>] = [:]
        var nextJob = 0
    }

    public let handler: Handler
    public let name: String
    public let logger: Logger
    private let journalConfiguration: JournalConfiguration?
    private let state: Mutex<State>

    public init(
        handler: Handler, name: String, journal: JournalConfiguration? = nil, clockMs: Int64 = 1_800_000_000_000,
        logger: Logger = Logger(label: "in-process-worker")
    ) {
        self.handler = handler
        self.name = name
        self.logger = logger
        journalConfiguration = journal
        state = Mutex(State(clockMs: clockMs, book: journal.map(JournalBook.init)))
    }

    /// Runs `body` with the worker's jobs served; when `body` returns, jobs still running are
    /// cancelled and awaited.
    public func run<T: Sendable>(_ body: @Sendable (InProcessWorker) async throws -> T) async rethrows -> T {
        do {
            let result = try await body(self)
            await stopJobs()
            return result
        } catch {
            await stopJobs()
            throw error
        }
    }

    private func stopJobs() async {
        let tasks = state.withLock { state -> [Task<Void, Never>] in
            defer { state.jobTasks = [:] }
            return Array(state.jobTasks.values)
        }
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
    }

    // MARK: Driving it

    /// Hands a message to the handler as the worker's reader would (its partition assigned
    /// first, when new). Offsets the message does not carry are numbered per partition.
    @discardableResult
    public func deliver(_ message: KafkaConsumerMessage) -> WorkerMessage {
        let partition = message.topicPartition
        var assigned = false
        let taken = state.withLock { state -> WorkerMessage in
            if state.generations[partition] == nil {
                state.generations[partition] = 1
                state.book?.assigned([partition])
                assigned = true
            }
            state.open += 1
            state.nextOffset[partition] = max(state.nextOffset[partition] ?? 0, message.offset + 1)
            return WorkerMessage(message, generation: state.generations[partition]!)
        }
        if assigned { handler.assignmentChanged(.assigned([partition]), self) }
        handler.handle(taken, self)
        return taken
    }

    /// A message for `topic`/`partition` at the partition's next offset.
    @discardableResult
    public func deliver(
        topic: String, partition: Int32 = 0, key: String? = nil, value: [UInt8], headers: [KafkaHeader] = [],
        timestampMs: Int64? = nil
    ) -> WorkerMessage {
        let tp = TopicPartition(topic: topic, partition: partition)
        let (offset, now) = state.withLock { ($0.nextOffset[tp] ?? 0, $0.clockMs) }
        return deliver(
            KafkaConsumerMessage(
                topic: topic, partition: partition, offset: offset, key: key.map { Array($0.utf8) }, value: value,
                headers: headers, timestampMilliseconds: timestampMs ?? now
            ))
    }

    /// Waits until every delivered message ended (or waits out a delay) and no job runs.
    public func settle() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let idle = state.withLock { state -> Bool in
                if state.open - state.held.count == 0, state.jobs == 0 { return true }
                state.idleWaiters.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
    }

    /// Moves the clock on; outputs held until a time now passed are published.
    public func advance(by duration: Duration) {
        let due = state.withLock { state -> [(dueMs: Int64, outputs: [KafkaProducerMessage], message: WorkerMessage)] in
            state.clockMs += Journal.milliseconds(duration)
            let now = state.clockMs
            let due = state.held.filter { $0.dueMs <= now }
            state.held.removeAll { $0.dueMs <= now }
            return due
        }
        for entry in due { publish(entry.outputs.map(WorkerContext.undelayed), for: entry.message, fallback: nil) }
    }

    /// The process dies and another takes its partitions: what was in memory is gone (the
    /// journal's index is read again from the records), what was published and recorded stays.
    /// The dead process's jobs are cancelled, and nothing they do afterwards reaches the world.
    public func restart() {
        let (partitions, tasks) = state.withLock { state -> ([TopicPartition], [Task<Void, Never>]) in
            let partitions = Array(state.generations.keys)
            if let configuration = journalConfiguration {
                state.book = JournalBook(configuration: configuration)
                state.book?.assigned(partitions)
            }
            for partition in partitions { state.generations[partition, default: 0] += 1 }
            state.held = []
            return (partitions, Array(state.jobTasks.values))
        }
        for task in tasks { task.cancel() }
        handler.assignmentChanged(.assigned(Set(partitions)), self)
    }

    /// Publishing to `topic` fails for good with `error` (nil: works again).
    public func refuse(topic: String, with error: KafkaError?) {
        state.withLock { $0.refusals[topic] = error }
    }

    /// Publishing to `topic` keeps failing with errors a retry could fix, until the publish
    /// timeout passes (`false`: works again).
    public func stall(topic: String, _ stalled: Bool = true) {
        state.withLock { state in
            if stalled { state.stalled.insert(topic) } else { state.stalled.remove(topic) }
        }
    }

    // MARK: What happened

    /// Every output published so far, in order (message outputs and aside ones alike).
    public var published: [KafkaProducerMessage] { state.withLock { $0.published } }

    /// Outputs published to `topic`.
    public func published(to topic: String) -> [KafkaProducerMessage] { published.filter { $0.topic == topic } }

    /// How the message at `offset` of `partition` ended, `nil` while it has not.
    public func end(of partition: TopicPartition, offset: Int64) -> End? {
        state.withLock { $0.ends[partition]?[offset] }
    }

    /// How every delivered message ended, by partition and offset.
    public var ends: [TopicPartition: [Int64: End]] { state.withLock { $0.ends } }

    /// The journal records written, per journal partition, in order.
    public func journalRecords(partition: Int32 = 0) -> [JournalRecord] {
        state.withLock { ($0.records[partition] ?? []).map(\.record) }
    }

    /// Outputs held until a later time (long waits), with when they are due.
    public var held: [(dueMs: Int64, outputs: [KafkaProducerMessage])] {
        state.withLock { $0.held.map { ($0.dueMs, $0.outputs) } }
    }

    /// The journal's recalls, replays and waits.
    public var journalCounters: (recalls: Int, replays: Int, waited: Int) {
        state.withLock { ($0.book?.recalls ?? 0, $0.book?.replays ?? 0, $0.book?.waited ?? 0) }
    }

    // MARK: WorkerIO

    public var nowMs: Int64 { state.withLock { $0.clockMs } }

    public func publish(
        _ outputs: [KafkaProducerMessage], for message: WorkerMessage, fallback: WorkerContext.Fallback?
    ) {
        // A message of a process that died (``restart()``) publishes nothing.
        guard isCurrent(message) else {
            end(message, .abandoned)
            return
        }
        let now = nowMs
        if let due = outputs.compactMap(WorkerContext.dueMs(of:)).max(), due > now {
            state.withLock { $0.held.append((due, outputs, message)) }
            return
        }
        switch write(outputs.map(WorkerContext.undelayed)) {
        case .published: finish(message)
        case let failed:
            guard let alternative = fallback?(failed), !alternative.isEmpty, write(alternative).isPublished else {
                deadLetter(message, code: "unanswerable", reason: "its answer could not be published: \(failed.reason)")
                return
            }
            finish(message)
        }
    }

    public func publishAside(_ outputs: [KafkaProducerMessage], _ done: @escaping @Sendable (PublishOutcome) -> Void) {
        // A job of a process that died (``restart()`` cancelled it) publishes nothing.
        guard !Task.isCancelled else {
            done(.closed)
            return
        }
        done(write(outputs))
    }

    public func finish(_ message: WorkerMessage) { end(message, .finished) }

    public func observe(_ stage: WorkerStage, _ message: WorkerMessage) {}

    public func abandon(_ message: WorkerMessage) { end(message, .abandoned) }

    public func deadLetter(_ message: WorkerMessage, code: String, reason: String) {
        end(message, .deadLettered(code: code, reason: reason))
    }

    public func submit(_ job: @escaping @Sendable () async -> Void) {
        state.withLock { state in
            state.jobs += 1
            state.nextJob += 1
            let id = state.nextJob
            state.jobTasks[id] = Task {
                await job()
                self.jobEnded(id)
            }
        }
    }

    public func isCurrent(_ message: WorkerMessage) -> Bool {
        state.withLock { $0.generations[message.kafka.topicPartition] == message.generation }
    }

    public func claim(
        _ key: JournalKey, for message: WorkerMessage, _ completion: @escaping @Sendable (JournalClaim) -> Void
    ) {
        claim(key, input: message.kafka.topicPartition, timestampMs: message.timestampMs, completion)
    }

    private enum ClaimNext {
        case answer(JournalClaim)
        case rebuilt([JournalBook.Waiter])
        case wait
    }

    private func claim(
        _ key: JournalKey, input: TopicPartition, timestampMs: Int64?,
        _ completion: @escaping @Sendable (JournalClaim) -> Void
    ) {
        let waiter = JournalBook.Waiter(key: key, timestampMs: timestampMs, completion: completion)
        typealias Next = ClaimNext
        let next = state.withLock { state -> Next in
            guard var book = state.book else { return .answer(.claimed(recall: false)) }
            defer { state.book = book }
            switch book.claim(waiter, input: input, nowMs: state.clockMs) {
            case .answer(let claim): return .answer(claim)
            case .wait: return .wait
            case .build(let input, let generation, let fromMs):
                var index = book.newIndex()
                index.keepFrom(fromMs)
                for stored in state.records[input.partition] ?? [] where stored.record.recordedAtMs >= fromMs {
                    index.apply(
                        stored.record.key, state: stored.record.state, offset: stored.offset,
                        recordedAtMs: stored.record.recordedAtMs, nowMs: state.clockMs)
                }
                return .rebuilt(book.built(input, generation: generation, index: index) ?? [])
            case .fetch(let input, let offset):
                let found = state.records[input.partition]?.first { $0.offset == offset }?.record
                if let found, found.key == key, found.state == .done {
                    book.replayed()
                    return .answer(.replay(found.outputs.map(\.message)))
                }
                return book.fetchFailed(key, input: input).map(Next.answer) ?? .wait
            }
        }
        switch next {
        case .answer(let claim): completion(claim)
        case .rebuilt(let waiters):
            for waiter in waiters {
                claim(waiter.key, input: input, timestampMs: waiter.timestampMs, waiter.completion)
            }
        case .wait: break
        }
    }

    public func begin(_ key: JournalKey, for message: WorkerMessage, _ completion: @escaping @Sendable (Bool) -> Void) {
        _ = store(key, state: .started, outputs: [], for: message)
        completion(true)
    }

    public func record(
        _ key: JournalKey, outputs: [KafkaProducerMessage], for message: WorkerMessage,
        fallback: WorkerContext.Fallback?
    ) {
        let waiters = store(key, state: .done, outputs: outputs, for: message)
        publish(outputs, for: message, fallback: fallback)
        for waiter in waiters { waiter.completion(.replay(outputs)) }
    }

    public func release(_ key: JournalKey, for message: WorkerMessage) {
        let input = message.kafka.topicPartition
        let waiters = state.withLock { $0.book?.finish(key, input: input) ?? [] }
        for waiter in waiters { claim(waiter.key, input: input, timestampMs: waiter.timestampMs, waiter.completion) }
    }

    // MARK: Internals

    private func store(
        _ key: JournalKey, state recordState: JournalRecord.State, outputs: [KafkaProducerMessage],
        for message: WorkerMessage
    ) -> [JournalBook.Waiter] {
        guard journalConfiguration != nil, isCurrent(message) else { return [] }
        let input = message.kafka.topicPartition
        return state.withLock { state -> [JournalBook.Waiter] in
            let record = JournalRecord(
                key: key, state: recordState, requestPartition: input.partition, requestOffset: message.kafka.offset,
                worker: name, recordedAtMs: state.clockMs, outputs: outputs.map(JournalRecord.Output.init)
            )
            let offset = Int64(state.records[input.partition]?.count ?? 0)
            state.records[input.partition, default: []].append(StoredRecord(offset: offset, record: record))
            return state.book?.learn(
                key, state: recordState, input: input, offset: offset, recordedAtMs: record.recordedAtMs,
                nowMs: state.clockMs, finishing: recordState == .done) ?? []
        }
    }

    private func write(_ outputs: [KafkaProducerMessage]) -> PublishOutcome {
        state.withLock { state -> PublishOutcome in
            for (index, output) in outputs.enumerated() {
                if let error = state.refusals[output.topic] { return .rejected(error, index: index) }
                if state.stalled.contains(output.topic) {
                    return .expired(
                        KafkaError(
                            code: .timedOut, message: "no leader for a partition of '\(output.topic)'",
                            isRetriable: true))
                }
            }
            state.published += outputs
            return .published(
                outputs.enumerated().map {
                    KafkaDeliveryReceipt(topic: $1.topic, partition: $1.partition ?? 0, offset: Int64($0))
                })
        }
    }

    private func end(_ message: WorkerMessage, _ how: End) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.ends[message.kafka.topicPartition, default: [:]][message.kafka.offset] = how
            state.open -= 1
            return idleWaiters(&state)
        }
        for waiter in waiters { waiter.resume() }
    }

    private func jobEnded(_ id: Int) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.jobs -= 1
            state.jobTasks[id] = nil
            return idleWaiters(&state)
        }
        for waiter in waiters { waiter.resume() }
    }

    private func idleWaiters(_ state: inout State) -> [CheckedContinuation<Void, Never>] {
        guard state.open - state.held.count <= 0, state.jobs == 0 else { return [] }
        defer { state.idleWaiters = [] }
        return state.idleWaiters
    }
}
