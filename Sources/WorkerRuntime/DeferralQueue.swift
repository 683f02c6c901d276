import HeapModule
public import Kafka

/// Messages waiting out a delay in memory, by due time: a plain value (the worker keeps it with
/// its in-flight window, behind one lock), tested without I/O.
public struct DeferralQueue<Action: Sendable>: Sendable {
    public struct Entry: Sendable {
        public let due: ContinuousClock.Instant
        public let message: WorkerMessage
        public let action: Action
    }

    private struct Slot: Comparable, Sendable {
        let due: ContinuousClock.Instant
        let id: UInt64
        static func < (a: Slot, b: Slot) -> Bool { (a.due, a.id) < (b.due, b.id) }
    }

    private var heap = Heap<Slot>()
    private var entries: [UInt64: Entry] = [:]
    private var nextID: UInt64 = 0

    public init() {}

    public var count: Int { entries.count }

    /// The earliest due time, when anything waits.
    public var nextDue: ContinuousClock.Instant? {
        var heap = heap
        while let first = heap.min {
            if entries[first.id] != nil { return first.due }
            heap.removeMin()
        }
        return nil
    }

    public mutating func insert(due: ContinuousClock.Instant, message: WorkerMessage, action: Action) {
        nextID += 1
        heap.insert(Slot(due: due, id: nextID))
        entries[nextID] = Entry(due: due, message: message, action: action)
    }

    /// Removes and returns what is due at `now`, earliest first.
    public mutating func popDue(at now: ContinuousClock.Instant) -> [Entry] {
        var due: [Entry] = []
        while let first = heap.min, first.due <= now {
            heap.removeMin()
            if let entry = entries.removeValue(forKey: first.id) { due.append(entry) }
        }
        return due
    }

    /// Removes and returns every entry whose message is of one of `partitions` (all when `nil`).
    public mutating func remove(in partitions: Set<TopicPartition>?) -> [Entry] {
        var removed: [Entry] = []
        for (id, entry) in entries where partitions?.contains(entry.message.kafka.topicPartition) ?? true {
            removed.append(entry)
            entries[id] = nil
        }
        if entries.isEmpty { heap = Heap() }
        return removed
    }
}
