import Kafka
import Testing

@Suite("Offset tracker")
struct OffsetTrackerTests {
    let p0 = TopicPartition(topic: "llm.requests.openai", partition: 0)
    let p1 = TopicPartition(topic: "llm.requests.openai", partition: 1)

    @Test("out-of-order completion stores only the contiguous completed prefix")
    func outOfOrder() {
        var tracker = KafkaOffsetTracker()
        for offset in 10..<15 { tracker.consumed(p0, offset: Int64(offset)) }
        #expect(tracker.completed(p0, offset: 12) == nil, "10 and 11 are still in flight")
        #expect(tracker.completed(p0, offset: 11) == nil)
        #expect(tracker.completed(p0, offset: 10) == 13, "10, 11, 12 done: store 13")
        #expect(tracker.pending(p0) == 2)
        #expect(tracker.completed(p0, offset: 14) == nil)
        #expect(tracker.completed(p0, offset: 13) == 15)
        #expect(tracker.pending(p0) == 0)
    }

    @Test("partitions are independent")
    func independentPartitions() {
        var tracker = KafkaOffsetTracker()
        tracker.consumed(p0, offset: 0)
        tracker.consumed(p1, offset: 0)
        tracker.consumed(p1, offset: 1)
        #expect(tracker.completed(p1, offset: 1) == nil)
        #expect(tracker.completed(p1, offset: 0) == 2)
        #expect(tracker.pending(p0) == 1)
        #expect(tracker.totalPending == 1)
    }

    @Test("offsets with gaps (compaction, transaction markers): only consumed offsets count")
    func gaps() {
        var tracker = KafkaOffsetTracker()
        for offset: Int64 in [3, 7, 8, 20] { tracker.consumed(p0, offset: offset) }
        #expect(tracker.completed(p0, offset: 8) == nil)
        #expect(tracker.completed(p0, offset: 3) == 4)
        #expect(tracker.completed(p0, offset: 7) == 9)
        #expect(tracker.completed(p0, offset: 20) == 21)
    }

    @Test("a revoked partition is forgotten: late completions store nothing, a new assignment starts fresh")
    func revocation() {
        var tracker = KafkaOffsetTracker()
        tracker.consumed(p0, offset: 5)
        tracker.consumed(p0, offset: 6)
        tracker.consumed(p1, offset: 9)
        tracker.revoke([p0])
        #expect(tracker.completed(p0, offset: 5) == nil)
        #expect(tracker.pending(p0) == 0)
        #expect(tracker.completed(p1, offset: 9) == 10, "other partitions are unaffected")
        // Reassigned later: redelivered from the committed offset.
        tracker.consumed(p0, offset: 5)
        #expect(tracker.completed(p0, offset: 5) == 6)
    }

    @Test("unknown or repeated completions are ignored")
    func unknownCompletions() {
        var tracker = KafkaOffsetTracker()
        tracker.consumed(p0, offset: 1)
        #expect(tracker.completed(p0, offset: 0) == nil, "older than anything in flight")
        #expect(tracker.completed(p1, offset: 1) == nil, "never consumed")
        #expect(tracker.completed(p0, offset: 1) == 2)
        #expect(tracker.completed(p0, offset: 1) == nil, "already released")
    }

    @Test("thousands in flight complete in random order: the final stored offset covers everything")
    func randomOrder() {
        var tracker = KafkaOffsetTracker()
        let offsets = (0..<5000).map(Int64.init)
        for offset in offsets { tracker.consumed(p0, offset: offset) }
        var highest: Int64 = 0
        var generator = SystemRandomNumberGenerator()
        for offset in offsets.shuffled(using: &generator) {
            if let next = tracker.completed(p0, offset: offset) {
                #expect(next > highest, "stored offsets only move forward")
                highest = next
            }
        }
        #expect(highest == 5000)
        #expect(tracker.totalPending == 0)
    }
}
