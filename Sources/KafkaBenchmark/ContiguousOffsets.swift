/// One partition's in-flight messages, completed in any order; yields the next offset that may
/// be stored: one past the highest offset below which every message is complete.
struct ContiguousOffsets: Sendable {
    /// Offsets handed out, in consumption (= offset) order; `head` is the oldest not yet released.
    private var inFlight: [Int64] = []
    private var head = 0
    private var completed: Set<Int64> = []

    /// Registers a consumed message; call in offset order.
    mutating func consumed(_ offset: Int64) {
        inFlight.append(offset)
    }

    /// Marks `offset` complete; returns the new next-offset-to-store when the contiguous prefix grew.
    mutating func complete(_ offset: Int64) -> Int64? {
        completed.insert(offset)
        var next: Int64?
        while head < inFlight.count, completed.remove(inFlight[head]) != nil {
            next = inFlight[head] + 1
            head += 1
        }
        if head >= 4096, head * 2 >= inFlight.count {
            inFlight.removeFirst(head)
            head = 0
        }
        return next
    }

    /// Messages consumed and not yet released.
    var pending: Int { inFlight.count - head }
}
