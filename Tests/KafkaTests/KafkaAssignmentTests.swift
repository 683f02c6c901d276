import Testing

@testable import Kafka

@Suite("Assignment epochs")
struct KafkaAssignmentTests {
    let p0 = TopicPartition(topic: "t", partition: 0)
    let p1 = TopicPartition(topic: "t", partition: 1)

    @Test(
        """
        a message is current while its partition stays assigned, stale once revoked, and stays stale when the \
        partition comes back
        """
    )
    func revokedAndBack() {
        var assignment = KafkaAssignment()
        assignment.add([p0, p1])
        let fetched = assignment.epoch
        #expect(assignment.isCurrent(p0, fetchEpoch: fetched))
        #expect(assignment.isCurrent(p1, fetchEpoch: fetched))

        assignment.remove([p1])
        #expect(assignment.partitions == [p0])
        #expect(!assignment.isCurrent(p1, fetchEpoch: fetched), "revoked")
        assignment.add([p1])
        #expect(!assignment.isCurrent(p1, fetchEpoch: fetched), "assigned again: what was fetched before is stale")
        #expect(assignment.isCurrent(p1, fetchEpoch: assignment.epoch), "fetched after the new assignment")
        #expect(assignment.isCurrent(p0, fetchEpoch: fetched), "a partition kept throughout stays current")
    }

    @Test("a manual assignment starts every partition anew; a message never polled by a consumer is not current")
    func replaceAndUnstamped() {
        var assignment = KafkaAssignment()
        assignment.add([p0])
        let fetched = assignment.epoch
        assignment.replace(with: [p0, p1])
        #expect(!assignment.isCurrent(p0, fetchEpoch: fetched))
        #expect(
            assignment.isCurrent(p0, fetchEpoch: assignment.epoch)
                && assignment.isCurrent(p1, fetchEpoch: assignment.epoch))
        #expect(!assignment.isCurrent(p0, fetchEpoch: 0))
        let epoch = assignment.epoch
        assignment.add([])
        #expect(assignment.epoch == epoch, "an empty change opens no epoch")
    }
}
