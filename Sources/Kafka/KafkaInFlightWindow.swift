import Dispatch

/// The messages a group consumer's reader has taken into work, for a service that handles many
/// messages of a partition at once and finishes them out of order: how many (backpressure), the
/// assignment each belongs to, and which offsets may be stored.
///
/// - **Backpressure**: at most `capacity` messages are in flight; the reader parks
///   (``parkReader(_:)``) until one leaves or the window stops.
/// - **Assignments**: a message enters only if its partition is owned and the consumer says it
///   is current (``KafkaConsumer/isCurrent(_:)``); it then belongs to the partition's current
///   *generation* (one per assignment of the partition) and loses its claim when the partition
///   is revoked, even if it comes back.
/// - **Offsets**: a message that completes in the generation it entered releases the
///   partition's contiguous completed prefix (``KafkaOffsetTracker``); ``Departure/offsetToStore``
///   is what to store.
/// - **Revocations** (on the consumer's polling thread): ``beginRevoke(_:waitForInFlight:)``
///   hands out a semaphore that the last departing message of the revoked partitions signals,
///   so their offsets are stored before the partitions are given up; ``endRevoke(_:)`` forgets them.
///
/// - **Deferred messages** (``deferMessage(_:generation:)``): a message waiting out a delay stops
///   counting against the capacity and does not hold a revocation back (it is handed back at
///   once), but its offset stays unstored until it finishes.
/// - **Draining**: ``waitUntilEmpty(_:)`` parks a waiter until nothing is in flight or deferred.
///
/// A value type: the owner keeps it behind its own lock, together with whatever must change
/// atomically with it, and performs the returned wake-ups after releasing the lock.
public struct KafkaInFlightWindow: Sendable {
    private struct RevokeWaiter: Sendable {
        var partitions: Set<TopicPartition>
        var semaphore: DispatchSemaphore
    }

    /// A revocation waiting (on the consumer's polling thread) for the in-flight messages of its
    /// partitions to leave.
    public struct RevocationWait: Sendable {
        fileprivate let semaphore: DispatchSemaphore

        /// Blocks (on the polling thread, never on the cooperative pool) until the last in-flight
        /// message of the revoked partitions left, or `timeout` passed; `false` on the timeout.
        public func wait(timeout: Duration) -> Bool {
            semaphore.wait(timeout: .now() + .milliseconds(Int(clamping: max(0, timeout.milliseconds)))) == .success
        }
    }

    /// Wake-ups to perform, outside the owner's lock, after a message left the window.
    public struct Departure: Sendable {
        /// The next offset to store for the message's partition, when its completed prefix grew.
        public var offsetToStore: Int64?
        fileprivate var reader: CheckedContinuation<Void, Never>?
        fileprivate var revocation: DispatchSemaphore?
        fileprivate var emptied: CheckedContinuation<Void, Never>?

        /// Whether ``wake()`` resumes a parked reader.
        public var resumesReader: Bool { reader != nil }
        /// Whether ``wake()`` lets a waiting revocation go on.
        public var endsRevocationWait: Bool { revocation != nil }

        /// Resumes the parked reader (a slot is free) and a revocation whose partitions have
        /// nothing in flight any more. Call after storing ``offsetToStore``.
        public func wake() {
            revocation?.signal()
            reader?.resume()
            emptied?.resume()
        }
    }

    /// How many messages may be in flight.
    public let capacity: Int
    /// The partitions assigned and not (being) revoked.
    public private(set) var owned = Set<TopicPartition>()
    /// Messages in flight (deferred ones not included).
    public private(set) var count = 0
    /// Messages waiting out a delay (``deferMessage(_:generation:)``), not counted in ``count``.
    public private(set) var deferred = 0
    /// No more messages are taken in (shutdown); in-flight ones may finish.
    public private(set) var isStopping = false
    /// Messages refused at ``enter(_:isCurrent:)`` because their partition was revoked, or
    /// assigned again, after they were fetched.
    public private(set) var staleDropped = 0

    private var generations: [TopicPartition: Int] = [:]
    private var byPartition: [TopicPartition: Int] = [:]
    private var offsets = KafkaOffsetTracker()
    private var reader: CheckedContinuation<Void, Never>?
    private var revokeWaiter: RevokeWaiter?
    private var emptyWaiter: CheckedContinuation<Void, Never>?

    public init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    // MARK: The reader

    /// Keeps `continuation` when the window is full (and not stopping): a later departure or
    /// ``stop()`` resumes it. Returns `false` when there is room; the caller resumes it at once.
    public mutating func parkReader(_ continuation: CheckedContinuation<Void, Never>) -> Bool {
        guard count >= capacity, !isStopping else { return false }
        reader = continuation
        return true
    }

    /// Takes `message` into flight and returns the generation it belongs to; `nil` (counted in
    /// ``staleDropped``) when its partition is not owned or `isCurrent` is false (the consumer
    /// fetched it before its partition was revoked or assigned again): drop it unhandled, the
    /// partition's owner reads it again from the committed offset.
    public mutating func enter(_ message: KafkaConsumerMessage, isCurrent: Bool) -> Int? {
        let partition = message.topicPartition
        guard isCurrent, owned.contains(partition) else {
            staleDropped += 1
            return nil
        }
        offsets.consumed(message)
        count += 1
        byPartition[partition, default: 0] += 1
        return generations[partition] ?? 0
    }

    /// Whether a message that entered in `generation` still belongs to the assignment.
    public func isCurrent(_ message: KafkaConsumerMessage, generation: Int) -> Bool {
        let partition = message.topicPartition
        return owned.contains(partition) && generations[partition] == generation
    }

    /// The partition's current generation (`nil` before its first assignment).
    public func generation(of partition: TopicPartition) -> Int? {
        generations[partition]
    }

    /// Messages of `partition` in flight.
    public func inFlight(_ partition: TopicPartition) -> Int {
        byPartition[partition] ?? 0
    }

    /// `message` leaves flight: finished (`completed`) or given up (its offset is then never
    /// stored, so it is read again). Completions of an earlier generation store nothing.
    public mutating func leave(_ message: KafkaConsumerMessage, generation: Int, completed: Bool) -> Departure {
        let partition = message.topicPartition
        var departure = takeOutOfFlight(partition)
        if completed, generations[partition] == generation {
            departure.offsetToStore = offsets.completed(message)
        }
        if count == 0, deferred == 0 {
            departure.emptied = emptyWaiter
            emptyWaiter = nil
        }
        return departure
    }

    /// One message of `partition` no longer counts as in flight; returns the revocation and the
    /// parked reader this frees, if any.
    private mutating func takeOutOfFlight(_ partition: TopicPartition) -> Departure {
        count -= 1
        let remaining = (byPartition[partition] ?? 1) - 1
        byPartition[partition] = remaining > 0 ? remaining : nil
        var departure = Departure()
        if let waiter = revokeWaiter, waiter.partitions.allSatisfy({ inFlight($0) == 0 }) {
            revokeWaiter = nil
            departure.revocation = waiter.semaphore
        }
        if count < capacity {
            departure.reader = reader
            reader = nil
        }
        return departure
    }

    // MARK: Deferred messages

    /// `message` (in flight in `generation`) waits out a delay: it no longer counts against the
    /// capacity nor holds back a revocation of its partition. Returns what to wake (a parked
    /// reader, a waiting revocation).
    public mutating func deferMessage(_ message: KafkaConsumerMessage, generation: Int) -> Departure {
        deferred += 1
        return takeOutOfFlight(message.topicPartition)
    }

    /// A deferred message's wait is over: it counts as in flight again (even above the
    /// capacity, briefly: it was taken in before) and `nil` is returned. When its partition is
    /// no longer owned in its generation, or the window stops, it leaves instead (its offset is
    /// not stored: the partition's owner handles it again) and the departure's wake-ups are
    /// returned: drop the message.
    public mutating func resumeDeferred(_ message: KafkaConsumerMessage, generation: Int) -> Departure? {
        guard isCurrent(message, generation: generation), !isStopping else {
            return dropDeferred(message)
        }
        deferred -= 1
        count += 1
        byPartition[message.topicPartition, default: 0] += 1
        return nil
    }

    /// A deferred message leaves without finishing (its partition was revoked, or the worker
    /// stops): its offset is not stored.
    public mutating func dropDeferred(_ message: KafkaConsumerMessage) -> Departure {
        deferred -= 1
        var departure = Departure()
        if count == 0, deferred == 0 {
            departure.emptied = emptyWaiter
            emptyWaiter = nil
        }
        return departure
    }

    /// Parks `continuation` until nothing is in flight or deferred; `false` when that is already
    /// so (the caller resumes it at once).
    public mutating func waitUntilEmpty(_ continuation: CheckedContinuation<Void, Never>) -> Bool {
        guard count > 0 || deferred > 0 else { return false }
        emptyWaiter = continuation
        return true
    }

    /// Hands back a parked drain waiter (the drain deadline passed).
    public mutating func releaseEmptyWaiter() -> CheckedContinuation<Void, Never>? {
        defer { emptyWaiter = nil }
        return emptyWaiter
    }

    /// Stops taking messages in; returns the parked reader to resume.
    public mutating func stop() -> CheckedContinuation<Void, Never>? {
        isStopping = true
        defer { reader = nil }
        return reader
    }

    // MARK: Rebalances

    /// Partitions assigned: a new generation each, offsets tracked afresh.
    public mutating func assign(_ partitions: Set<TopicPartition>) {
        owned.formUnion(partitions)
        offsets.revoke(partitions)
        for partition in partitions { generations[partition, default: 0] += 1 }
    }

    /// Partitions being revoked (or lost): no longer owned. With `waitForInFlight` and work of
    /// theirs in flight, returns the wait that ends when the last of it leaves; wait (bounded,
    /// after releasing the owner's lock) before ``endRevoke(_:)``, so their offsets are stored
    /// before they are given up.
    public mutating func beginRevoke(_ partitions: Set<TopicPartition>, waitForInFlight: Bool) -> RevocationWait? {
        owned.subtract(partitions)
        guard waitForInFlight, partitions.contains(where: { inFlight($0) > 0 }) else { return nil }
        let semaphore = DispatchSemaphore(value: 0)
        revokeWaiter = RevokeWaiter(partitions: partitions, semaphore: semaphore)
        return RevocationWait(semaphore: semaphore)
    }

    /// The revocation is over: nothing more is stored for these partitions.
    public mutating func endRevoke(_ partitions: Set<TopicPartition>) {
        revokeWaiter = nil
        offsets.revoke(partitions)
    }
}
