public import Common
import DequeModule
public import Kafka
public import Logging
import Synchronization

/// A worker's journal over Kafka: the memory that makes a request's costly step happen once,
/// whichever process dies and however often the request comes again.
///
/// For every journaled request (an agent's provider call, a router's forwarding decision) the
/// worker asks ``claim(_:input:messageTimestampMs:_:)`` first:
/// - nothing recorded → the message handles it (copies arriving meanwhile wait for it);
/// - `done` recorded → the recorded outputs are published again instead;
/// - `started` only → handled again, counted as a recall (the previous attempt died mid-call).
///
/// A handler then writes `started` before the costly step (``begin(_:requestOffset:input:_:)``,
/// acknowledged before the call) and `done` with its outputs after it
/// (``record(_:outputs:requestOffset:input:_:)``, acknowledged before any output is
/// published).
///
/// The index of a partition (``JournalIndex``, in memory) is built when the first message of a
/// newly assigned partition asks: the journal partition is read from the time of that message
/// (the first one not committed) minus the window and the clock-skew margin, to its end — so an
/// assignment costs the window's worth of records, never the topic's retention. Afterwards it
/// learns every record this worker writes. Messages of the partition wait while it is read. The
/// bookkeeping is a plain value (``JournalBook``); this type does its reads and writes.
///
/// Reads (index builds, and the outputs of a `done` record when a lookup hits) run in ``run()``,
/// a child task of the worker, on a reader of their own.
public final class Journal: Sendable {
    public typealias Completion = @Sendable (JournalClaim) -> Void

    private enum Job: Sendable {
        case build(input: TopicPartition, generation: Int, fromMs: Int64)
        case fetch(input: TopicPartition, offset: Int64, key: JournalKey, completion: Completion)

        var isBuild: Bool {
            if case .build = self { return true }
            return false
        }
    }

    public let configuration: JournalConfiguration
    private let worker: String
    private let outbox: Outbox
    private let readerConfiguration: KafkaConsumerConfiguration
    private let logger: Logger
    private let book: Mutex<JournalBook>
    private let writer: JournalWriter
    /// Index builds and output fetches for the reader; builds go first (``run()``).
    private let jobs = BatchQueue<Job>()
    private let clock: @Sendable () -> Int64

    /// - Parameters:
    ///   - worker: written into every record (`instance`).
    ///   - readerConfiguration: for the journal's own reader (no group; it assigns partitions).
    ///   - clock: milliseconds since the epoch (injected in tests).
    public init(
        configuration: JournalConfiguration, worker: String, outbox: Outbox,
        readerConfiguration: KafkaConsumerConfiguration, logger: Logger,
        clock: @escaping @Sendable () -> Int64 = WallClock.nowMs
    ) {
        self.configuration = configuration
        self.worker = worker
        self.outbox = outbox
        self.readerConfiguration = readerConfiguration
        self.logger = logger
        self.clock = clock
        book = Mutex(JournalBook(configuration: configuration))
        writer = JournalWriter(
            topic: configuration.topic, worker: worker, outbox: outbox, deadline: .seconds(60), clock: clock)
    }

    // MARK: Assignments

    /// Input partitions assigned: their indexes are built on the first claim. The records of an
    /// input partition are in the journal partition of the same number.
    public func assigned(_ inputs: some Sequence<TopicPartition>) {
        book.withLock { $0.assigned(inputs) }
    }

    /// Input partitions revoked or lost: claims still waiting on them are abandoned.
    public func revoked(_ inputs: some Sequence<TopicPartition>) {
        for waiter in book.withLock({ $0.revoked(inputs) }) { waiter.completion(.abandoned) }
    }

    // MARK: Claims and records

    /// What to do with a message carrying `key`, read from `input` (`messageTimestampMs`: its
    /// Kafka timestamp). `completion` runs once, now or later (when the partition's index is
    /// read, the outputs are fetched, or the copy in flight finishes).
    public func claim(
        _ key: JournalKey, input: TopicPartition, messageTimestampMs: Int64?, _ completion: @escaping Completion
    ) {
        let waiter = JournalBook.Waiter(key: key, timestampMs: messageTimestampMs, completion: completion)
        let now = clock()
        switch book.withLock({ $0.claim(waiter, input: input, nowMs: now) }) {
        case .answer(let claim): completion(claim)
        case .build(let input, let generation, let fromMs):
            jobs.append(.build(input: input, generation: generation, fromMs: fromMs))
        case .fetch(let input, let offset):
            jobs.append(.fetch(input: input, offset: offset, key: key, completion: completion))
        case .wait: break
        }
    }

    /// Writes `started` for a claimed key and calls `completion` once it is acknowledged
    /// (`true`), or could not be written (`false`: the caller gives the message up; a record
    /// refused for good counts as written, logged).
    public func begin(
        _ key: JournalKey, requestOffset: Int64, input: TopicPartition, _ completion: @escaping @Sendable (Bool) -> Void
    ) {
        let record = JournalRecord(
            key: key, state: .started, requestPartition: input.partition, requestOffset: requestOffset, worker: worker,
            recordedAtMs: clock()
        )
        writer.write(record) { outcome, offset in
            switch outcome {
            case .published:
                _ = self.learn(record, input: input, offset: offset ?? -1, finishing: false)
                completion(true)
            case .rejected(let error, _):
                self.logger.error(
                    "journal record refused, going on without it",
                    metadata: [
                        LogKey.requestID: "\(key.requestID)", LogKey.attempt: "\(key.attempt)",
                        LogKey.error: "\(error)",
                    ])
                completion(true)
            case .expired, .closed:
                completion(false)
            }
        }
    }

    /// Writes `done` with `outputs` for a claimed key; once it is acknowledged the copies that
    /// waited get the outputs, and `completion` runs (publish the outputs then). A record that
    /// could not be written (refused for good, or the timeout passed) still lets the outputs go
    /// out and reach the copies (logged); at shutdown the copies are abandoned.
    public func record(
        _ key: JournalKey, outputs: [KafkaProducerMessage], requestOffset: Int64, input: TopicPartition,
        _ completion: @escaping @Sendable (PublishOutcome) -> Void
    ) {
        let record = JournalRecord(
            key: key, state: .done, requestPartition: input.partition, requestOffset: requestOffset, worker: worker,
            recordedAtMs: clock(), outputs: outputs.map(JournalRecord.Output.init)
        )
        writer.write(record) { outcome, offset in
            switch outcome {
            case .published:
                let waiters = self.learn(record, input: input, offset: offset ?? -1, finishing: true)
                completion(outcome)
                for waiter in waiters { waiter.completion(.replay(outputs)) }
            case .rejected(let error, _):
                self.logger.error(
                    "journal record refused, the outputs go out unrecorded",
                    metadata: [
                        LogKey.requestID: "\(key.requestID)", LogKey.attempt: "\(key.attempt)",
                        LogKey.error: "\(error)",
                    ])
                let waiters = self.book.withLock { $0.finish(key, input: input) }
                completion(.published([]))
                for waiter in waiters { waiter.completion(.replay(outputs)) }
            case .expired:
                // Not recorded, but the outputs still go out: the copies get them too.
                let waiters = self.book.withLock { $0.finish(key, input: input) }
                completion(outcome)
                for waiter in waiters { waiter.completion(.replay(outputs)) }
            case .closed:
                let waiters = self.book.withLock { $0.finish(key, input: input) }
                completion(outcome)
                for waiter in waiters { waiter.completion(.abandoned) }
            }
        }
    }

    /// A claimed key ends without a record (refused at admission, abandoned): the copies that
    /// waited claim it again, one after the other.
    public func release(_ key: JournalKey, input: TopicPartition) {
        for waiter in book.withLock({ $0.finish(key, input: input) }) {
            claim(waiter.key, input: input, messageTimestampMs: waiter.timestampMs, waiter.completion)
        }
    }

    /// Recalls (claims that found `started` only), replays (answered from a `done` record) and
    /// waits (copies that waited for one in flight) since the start.
    public var counters: (recalls: Int, replays: Int, waited: Int) {
        book.withLock { ($0.recalls, $0.replays, $0.waited) }
    }

    /// Journal messages written since the start (each carries one or more records).
    public var messagesWritten: UInt64 { writer.messages }

    /// Records read to build partition indexes since the start, and how many builds read them.
    public var reads: (records: Int, builds: Int) {
        book.withLock { ($0.recordsRead, $0.builds) }
    }

    /// Requests remembered, over all owned partitions.
    public var entries: Int {
        book.withLock { $0.entries }
    }

    private func learn(_ record: JournalRecord, input: TopicPartition, offset: Int64, finishing: Bool) -> [JournalBook
        .Waiter]
    {
        let now = clock()
        return book.withLock {
            $0.learn(
                record.key, state: record.state, input: input, offset: offset, recordedAtMs: record.recordedAtMs,
                nowMs: now, finishing: finishing)
        }
    }

    // MARK: Reading

    /// Serves index builds and output fetches until ``close()`` or cancellation. A build waiting
    /// goes before the fetches queued ahead of it: a partition newly assigned is not held up by
    /// another one's answers being read back one by one (a successor taking over a partition
    /// full of answered requests queued ~600 fetches, and the other partitions' builds waited
    /// 90 s behind them).
    public func run() async {
        var reader: KafkaConsumer?
        var backoff = Duration.milliseconds(200)
        while reader == nil, !Task.isCancelled {
            do {
                reader = try KafkaConsumer(configuration: readerConfiguration, logger: logger)
            } catch {
                logger.error("journal reader not created, retrying", metadata: [LogKey.error: "\(error)"])
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(5))
            }
        }
        guard let reader else { return }
        var builds = Deque<Job>()
        var fetches = Deque<Job>()
        while !Task.isCancelled {
            let idle = builds.isEmpty && fetches.isEmpty
            let incoming = idle ? await jobs.next() : jobs.drain()
            if idle, incoming.isEmpty { break }
            for job in incoming {
                if job.isBuild { builds.append(job) } else { fetches.append(job) }
            }
            guard let job = builds.popFirst() ?? fetches.popFirst() else { continue }
            switch job {
            case .build(let input, let generation, let fromMs):
                await build(input, generation: generation, fromMs: fromMs, reader: reader)
            case .fetch(let input, let offset, let key, let completion):
                await fetch(input, offset: offset, key: key, reader: reader, completion)
            }
        }
        try? await reader.close()
    }

    /// Ends ``run()`` once the reads asked so far are served.
    public func close() {
        jobs.finish()
    }

    private func build(_ input: TopicPartition, generation: Int, fromMs: Int64, reader: KafkaConsumer) async {
        let started = ContinuousClock.now
        let journalPartition = TopicPartition(topic: configuration.topic, partition: input.partition)
        var backoff = Duration.milliseconds(200)
        while !Task.isCancelled, book.withLock({ $0.owns(input, generation: generation) }) {
            do {
                let start = try await reader.offset(atOrAfter: max(0, fromMs), in: journalPartition)
                var index = book.withLock { $0.newIndex() }
                index.keepFrom(fromMs)
                var records = 0
                var unreadable = 0
                let now = clock()
                try await reader.readToEnd(from: [journalPartition: start], timeout: .seconds(600)) { message in
                    for line in JournalRecord.lines(of: message.value) {
                        guard let summary = JournalRecord.summary(of: line) else {
                            unreadable += 1
                            continue
                        }
                        records += 1
                        // The Kafka timestamp: what the seek by time went by.
                        let at = message.timestampMilliseconds ?? summary.recordedAtMs ?? now
                        index.apply(
                            summary.key, state: summary.state, offset: message.offset, recordedAtMs: at, nowMs: now)
                    }
                }
                let read = records + unreadable
                let waiters = book.withLock { $0.built(input, generation: generation, index: index, recordsRead: read) }
                logger.info(
                    "journal partition read",
                    metadata: [
                        LogKey.topic: "\(configuration.topic)", LogKey.partition: "\(input.partition)",
                        LogKey.journalFrom: "\(fromMs)", LogKey.records: "\(records)",
                        LogKey.durationMs: "\(Journal.milliseconds(ContinuousClock.now - started))",
                    ])
                if unreadable > 0 {
                    logger.warning(
                        "unreadable journal records skipped",
                        metadata: [
                            LogKey.partition: "\(input.partition)", LogKey.records: "\(unreadable)",
                        ])
                }
                for waiter in waiters ?? [] {
                    claim(waiter.key, input: input, messageTimestampMs: waiter.timestampMs, waiter.completion)
                }
                return
            } catch {
                logger.error(
                    "journal partition not read, retrying",
                    metadata: [
                        LogKey.topic: "\(configuration.topic)", LogKey.partition: "\(input.partition)",
                        LogKey.error: "\(error)",
                    ])
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(5))
            }
        }
    }

    private func fetch(
        _ input: TopicPartition, offset: Int64, key: JournalKey, reader: KafkaConsumer,
        _ completion: @escaping Completion
    ) async {
        var found: JournalRecord?
        do {
            let journalPartition = TopicPartition(topic: configuration.topic, partition: input.partition)
            let message = try await reader.readOne(at: journalPartition, offset: offset)
            // The batch holds several records: the last one of this key (done after started).
            for line in message.map({ JournalRecord.lines(of: $0.value) }) ?? [] {
                guard let summary = JournalRecord.summary(of: line), summary.key == key else { continue }
                if let record = JournalRecord.decode(line) { found = record }
            }
        } catch {
            logger.error(
                "journal record not read back",
                metadata: [
                    LogKey.partition: "\(input.partition)", LogKey.offset: "\(offset)", LogKey.error: "\(error)",
                ])
        }
        guard let found, found.state == .done else {
            // Unreadable, or another key's (a hash collision): handled as if nothing was recorded (counted).
            if let claim = book.withLock({ $0.fetchFailed(key, input: input) }) {
                completion(claim)
            } else {
                claim(key, input: input, messageTimestampMs: nil, completion)
            }
            return
        }
        book.withLock { $0.replayed() }
        completion(.replay(found.outputs.map(\.message)))
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }
}
