import Kafka
import KafkaTestSupport
import Testing

/// The decisions behind `GaplessMessages`: offsets a broker skipped are read again, offsets read
/// twice are skipped, a gap that outlasts the patience is accepted. Time is passed in.
@Suite("Offset gap filter")
struct OffsetGapFilterTests {
    let a = TopicPartition(topic: "answers", partition: 0)
    let b = TopicPartition(topic: "answers", partition: 1)
    let start = ContinuousClock.now

    func at(_ milliseconds: Int) -> ContinuousClock.Instant { start + .milliseconds(milliseconds) }

    @Test("offsets in order are handed out; a partition's first message sets where it starts")
    func inOrder() {
        var filter = OffsetGapFilter(partitions: [a, b], patience: .seconds(3))
        #expect(filter.admit(a, offset: 7, at: at(0)) == .deliver)
        #expect(filter.admit(a, offset: 8, at: at(0)) == .deliver)
        #expect(filter.admit(b, offset: 0, at: at(0)) == .deliver)
        #expect(filter.expected == [a: 9, b: 1])
        #expect(filter.filled == 0 && filter.accepted == 0)
    }

    @Test(
        "a skipped offset is read again from where it is missing; what comes twice is skipped; the gap counts as filled"
    )
    func gapFilled() {
        var filter = OffsetGapFilter(partitions: [a, b], patience: .seconds(3))
        _ = filter.admit(a, offset: 0, at: at(0))
        _ = filter.admit(a, offset: 1, at: at(0))
        // 2 and 3 were not served, 4 was: read again from 2 (b not read yet: from its reset position).
        #expect(filter.admit(a, offset: 4, at: at(10)) == .readAgain(from: [a: 2, b: nil]))
        // A message fetched before the new assignment: dropped again, and read again again.
        #expect(filter.admit(a, offset: 5, at: at(11)) == .readAgain(from: [a: 2, b: nil]))
        #expect(filter.admit(a, offset: 2, at: at(50)) == .deliver)
        #expect(filter.admit(a, offset: 3, at: at(50)) == .deliver)
        #expect(filter.admit(a, offset: 4, at: at(50)) == .deliver)
        #expect(filter.admit(a, offset: 3, at: at(50)) == .skip, "already handed out")
        #expect(filter.filled == 1)
        #expect(filter.accepted == 0)
        #expect(filter.expected[a] == 5)
    }

    @Test("a gap still there after the patience is real (compaction, aborted transactions): handed out from there on")
    func gapAccepted() {
        var filter = OffsetGapFilter(partitions: [a], patience: .seconds(3))
        _ = filter.admit(a, offset: 0, at: at(0))
        #expect(filter.admit(a, offset: 5, at: at(0)) == .readAgain(from: [a: 1]))
        #expect(filter.admit(a, offset: 5, at: at(2_999)) == .readAgain(from: [a: 1]), "within the patience")
        #expect(filter.admit(a, offset: 5, at: at(3_000)) == .deliver)
        #expect(filter.accepted == 1)
        #expect(filter.expected[a] == 6)
        // The next gap has a patience of its own.
        #expect(filter.admit(a, offset: 9, at: at(3_001)) == .readAgain(from: [a: 6]))
        #expect(filter.admit(a, offset: 9, at: at(5_000)) == .readAgain(from: [a: 6]))
    }

    @Test("partitions are independent: another partition keeps flowing and keeps its place when one is read again")
    func partitionsIndependent() {
        var filter = OffsetGapFilter(partitions: [a, b], patience: .seconds(3))
        _ = filter.admit(a, offset: 0, at: at(0))
        _ = filter.admit(b, offset: 0, at: at(0))
        #expect(filter.admit(a, offset: 2, at: at(1)) == .readAgain(from: [a: 1, b: 1]))
        #expect(filter.admit(b, offset: 1, at: at(2)) == .deliver)
        #expect(filter.admit(b, offset: 1, at: at(3)) == .skip, "read again after the new assignment")
        #expect(filter.admit(a, offset: 1, at: at(4)) == .deliver)
        #expect(filter.filled == 1)
    }
}
