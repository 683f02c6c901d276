import Kafka

/// The journal's bookkeeping as a plain value, with no I/O: per input partition, whether its
/// index is read, the index itself, and which keys are claimed by a message in flight (with the
/// copies waiting for them). ``Journal`` (over Kafka) and ``InProcessWorker`` (in memory) both
/// keep one behind a lock and do what its answers say.
struct JournalBook: Sendable {
    typealias Completion = @Sendable (JournalClaim) -> Void

    struct Waiter: Sendable {
        var key: JournalKey
        var timestampMs: Int64?
        var completion: Completion
    }

    struct Partition: Sendable {
        enum Phase: Sendable {
            /// Assigned; no message has asked yet.
            case cold
            /// Being read; these claims wait.
            case building([Waiter])
            case ready
        }

        var phase = Phase.cold
        var index: JournalIndex
        /// Claimed here and not yet recorded or released: later copies wait in the list.
        var inFlight: [JournalKey: [Waiter]] = [:]
        /// Distinguishes assignments, so a read for an earlier one is not installed.
        var generation: Int

        mutating func appendWaiting(_ waiter: Waiter) {
            guard case .building(var waiters) = phase else { return }
            phase = .ready  // releases the array's other reference, so the append is in place
            waiters.append(waiter)
            phase = .building(waiters)
        }
    }

    /// What the owner does after a claim.
    enum Step: Sendable {
        /// Answer now.
        case answer(JournalClaim)
        /// Read the journal partition of `input` from `fromMs` on, then ``built(_:generation:index:)``.
        case build(input: TopicPartition, generation: Int, fromMs: Int64)
        /// Read the `done` record at `offset`, then answer with its outputs (or ``fetchFailed(_:input:)``).
        case fetch(input: TopicPartition, offset: Int64)
        /// The completion runs later (when the index is read, or the copy in flight ends).
        case wait
    }

    let configuration: JournalConfiguration
    private(set) var partitions: [TopicPartition: Partition] = [:]
    private var generations = 0
    private(set) var recalls = 0
    private(set) var replays = 0
    private(set) var waited = 0
    /// Records read to build indexes, and the builds, since the start.
    private(set) var recordsRead = 0
    private(set) var builds = 0

    init(configuration: JournalConfiguration) {
        self.configuration = configuration
    }

    func newIndex() -> JournalIndex {
        JournalIndex(window: configuration.window, maxEntries: configuration.maxEntriesPerPartition)
    }

    mutating func assigned(_ inputs: some Sequence<TopicPartition>) {
        for input in inputs {
            generations += 1
            partitions[input] = Partition(index: newIndex(), generation: generations)
        }
    }

    /// The claims that waited on these partitions (answer them `abandoned`).
    mutating func revoked(_ inputs: some Sequence<TopicPartition>) -> [Waiter] {
        var abandoned: [Waiter] = []
        for input in inputs {
            guard let removed = partitions.removeValue(forKey: input) else { continue }
            if case .building(let waiters) = removed.phase { abandoned += waiters }
            for waiters in removed.inFlight.values { abandoned += waiters }
        }
        return abandoned
    }

    mutating func claim(_ waiter: Waiter, input: TopicPartition, nowMs: Int64) -> Step {
        let window = Journal.milliseconds(configuration.window)
        let margin = Journal.milliseconds(configuration.clockSkewMargin)
        var recall = false
        var waits = false
        let step = withPartition(input) { partition -> Step in
            switch partition.phase {
            case .cold:
                partition.phase = .building([waiter])
                let first = min(nowMs, waiter.timestampMs ?? nowMs)
                return .build(input: input, generation: partition.generation, fromMs: first - window - margin)
            case .building:
                partition.appendWaiting(waiter)
                return .wait
            case .ready:
                if partition.inFlight[waiter.key] != nil {
                    partition.inFlight[waiter.key]!.append(waiter)
                    waits = true
                    return .wait
                }
                switch partition.index.entry(waiter.key) {
                case let found? where found.state == .done:
                    return .fetch(input: input, offset: found.offset)
                case let found:
                    partition.inFlight[waiter.key] = []
                    recall = found?.state == .started
                    return .answer(.claimed(recall: recall))
                }
            }
        }
        if recall { recalls += 1 }
        if waits { waited += 1 }
        return step ?? .answer(.abandoned)
    }

    /// Runs `body` on the partition of `input` in place (one lookup, no copy of its index);
    /// `nil` when it is not owned.
    private mutating func withPartition<R>(_ input: TopicPartition, _ body: (inout Partition) -> R) -> R? {
        guard let slot = partitions.index(forKey: input) else { return nil }
        return body(&partitions.values[slot])
    }

    /// The index of `input` was read: the claims that waited (claim each again).
    mutating func built(_ input: TopicPartition, generation: Int, index: JournalIndex, recordsRead: Int = 0)
        -> [Waiter]?
    {
        self.recordsRead += recordsRead
        builds += 1
        guard partitions[input]?.generation == generation, case .building(let waiters)? = partitions[input]?.phase
        else {
            return nil
        }
        partitions[input]!.index = index
        partitions[input]!.phase = .ready
        return waiters
    }

    /// Whether `input` is still owned in `generation` (a read in progress goes on).
    func owns(_ input: TopicPartition, generation: Int) -> Bool {
        partitions[input]?.generation == generation
    }

    /// A `done` record's outputs were read back for a replay.
    mutating func replayed() {
        replays += 1
    }

    /// A hit whose record could not be read back (or was another key's): claimed as a recall
    /// when nobody holds the key, else `nil` (claim again: it waits).
    mutating func fetchFailed(_ key: JournalKey, input: TopicPartition) -> JournalClaim? {
        guard partitions[input] != nil else { return .abandoned }
        guard partitions[input]!.inFlight[key] == nil else { return nil }
        partitions[input]!.inFlight[key] = []
        recalls += 1
        return .claimed(recall: true)
    }

    /// Enters a record this worker wrote; with `finishing`, ends the key's flight and returns
    /// the copies that waited.
    mutating func learn(
        _ key: JournalKey, state: JournalRecord.State, input: TopicPartition, offset: Int64, recordedAtMs: Int64,
        nowMs: Int64, finishing: Bool
    ) -> [Waiter] {
        withPartition(input) { partition in
            partition.index.apply(key, state: state, offset: offset, recordedAtMs: recordedAtMs, nowMs: nowMs)
            return finishing ? (partition.inFlight.removeValue(forKey: key) ?? []) : []
        } ?? []
    }

    /// Ends a key's flight without a record: the copies that waited (claim each again).
    mutating func finish(_ key: JournalKey, input: TopicPartition) -> [Waiter] {
        withPartition(input) { $0.inFlight.removeValue(forKey: key) ?? [] } ?? []
    }

    var entries: Int { partitions.values.reduce(0) { $0 + $1.index.count } }
}
