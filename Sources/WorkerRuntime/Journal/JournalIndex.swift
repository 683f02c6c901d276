import DequeModule

/// What the journal knows about one partition's requests, in memory: the latest state of every
/// (request_id, attempt) recorded in the dedup window, and where its `done` record is.
///
/// Keys are kept as 64-bit hashes (``JournalKey/hash``), states as one byte, so an entry costs
/// tens of bytes whatever the request or its answer; the outputs stay on the journal topic and
/// are read back by offset when a lookup hits. Entries older than the window (by the time they
/// were recorded) or beyond the entry bound are dropped, oldest first. A value type: the owner
/// serialises access and passes the time in.
struct JournalIndex: Sendable {
    struct Entry: Sendable, Hashable {
        var state: JournalRecord.State
        /// The journal offset of the latest record (the `done` record's outputs are read from it).
        var offset: Int64
        var recordedAtMs: Int64
    }

    /// Records older than this (by their time) are forgotten.
    let window: Duration
    /// At most this many entries; the oldest go first.
    let maxEntries: Int
    private(set) var entries: [UInt64: Entry] = [:]
    /// Every record applied, in order (a key recorded twice is here twice), for dropping the oldest.
    private var order = Deque<(hash: UInt64, recordedAtMs: Int64)>()
    /// Entries dropped because of ``maxEntries`` before their window ended.
    private(set) var evictedEarly = 0
    /// Records at or after this time stay, whatever the window says: the partition's index was
    /// built from here (the first unfinished request, which may be older than the window).
    private var keptFromMs = Int64.max

    init(window: Duration, maxEntries: Int) {
        self.window = window
        self.maxEntries = max(1, maxEntries)
    }

    var count: Int { entries.count }

    func entry(_ key: JournalKey) -> Entry? { entries[key.hash] }

    /// A record (read back, or just written) at `offset`. A later record of the same key replaces
    /// an earlier one (`done` after `started`), never the other way round.
    mutating func apply(_ key: JournalKey, state: JournalRecord.State, offset: Int64, recordedAtMs: Int64, nowMs: Int64)
    {
        let hash = key.hash
        if let existing = entries[hash], existing.state == .done, state == .started { return }
        entries[hash] = Entry(state: state, offset: offset, recordedAtMs: recordedAtMs)
        order.append((hash, recordedAtMs))
        trim(nowMs: nowMs)
    }

    /// Keeps every record at or after `ms` (see ``keptFromMs``).
    mutating func keepFrom(_ ms: Int64) {
        keptFromMs = ms
    }

    /// Drops what the window and the bound no longer cover.
    mutating func trim(nowMs: Int64) {
        let windowStart =
            nowMs - Int64(window.components.seconds * 1000) - window.components.attoseconds / 1_000_000_000_000_000
        let oldest = min(windowStart, keptFromMs)
        while let first = order.first, first.recordedAtMs < oldest || entries.count > maxEntries {
            order.removeFirst()
            // A later record of the same key has its own place further back: only the entry
            // as this place recorded it goes.
            guard let entry = entries[first.hash], entry.recordedAtMs == first.recordedAtMs else { continue }
            if first.recordedAtMs >= oldest { evictedEarly += 1 }
            entries[first.hash] = nil
        }
    }
}
