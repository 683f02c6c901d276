import Kafka
import Synchronization
import Testing

@Suite("In-flight window", .timeLimit(.minutes(1)))
struct KafkaInFlightWindowTests {
    let p0 = TopicPartition(topic: "t", partition: 0)
    let p1 = TopicPartition(topic: "t", partition: 1)

    func message(_ partition: TopicPartition, _ offset: Int64) -> KafkaConsumerMessage {
        KafkaConsumerMessage(
            topic: partition.topic, partition: partition.partition, offset: offset, key: nil, value: [])
    }

    @Test("messages finished out of order store only the contiguous finished prefix; given-up ones hold it back")
    func offsets() throws {
        var window = KafkaInFlightWindow(capacity: 10)
        window.assign([p0])
        var generations: [Int] = []
        for offset in Int64(0)..<4 {
            let generation = window.enter(message(p0, offset), isCurrent: true)
            generations.append(try #require(generation))
        }
        #expect(window.count == 4 && window.inFlight(p0) == 4)
        #expect(window.leave(message(p0, 1), generation: generations[1], completed: true).offsetToStore == nil)
        #expect(window.leave(message(p0, 0), generation: generations[0], completed: true).offsetToStore == 2)
        #expect(
            window.leave(message(p0, 2), generation: generations[2], completed: false).offsetToStore == nil,
            "given up: not stored")
        #expect(
            window.leave(message(p0, 3), generation: generations[3], completed: true).offsetToStore == nil,
            "offset 2 holds the prefix back")
        #expect(window.count == 0 && window.inFlight(p0) == 0)
    }

    @Test("a full window parks the reader until a message leaves; stop hands the parked reader back")
    func backpressure() async throws {
        let window = Mutex(KafkaInFlightWindow(capacity: 2))
        window.withLock { $0.assign([p0]) }
        let entered = window.withLock { $0.enter(message(p0, 0), isCurrent: true) }
        let first = try #require(entered)
        _ = window.withLock { $0.enter(message(p0, 1), isCurrent: true) }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let parked = window.withLock { $0.parkReader(continuation) }
            #expect(parked, "full: the reader waits")
            let departure = window.withLock { $0.leave(message(p0, 0), generation: first, completed: true) }
            #expect(departure.resumesReader, "a slot is free")
            departure.wake()
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let parked = window.withLock { $0.parkReader(continuation) }
            #expect(!parked, "one of two in flight: room, the reader goes on")
            continuation.resume()
        }
        _ = window.withLock { $0.enter(message(p0, 2), isCurrent: true) }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let parked = window.withLock { $0.parkReader(continuation) }
            #expect(parked)
            let reader = window.withLock { $0.stop() }
            #expect(reader != nil, "stop hands the parked reader back")
            reader?.resume()
        }
        #expect(window.withLock { $0.isStopping })
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let parked = window.withLock { $0.parkReader(continuation) }
            #expect(!parked, "stopping: the reader never parks")
            continuation.resume()
        }
    }

    @Test("a message the consumer calls stale, or of a partition not owned, is refused and counted")
    func stale() {
        var window = KafkaInFlightWindow(capacity: 10)
        window.assign([p0])
        let stale = window.enter(message(p0, 0), isCurrent: false)
        let notOwned = window.enter(message(p1, 0), isCurrent: true)
        #expect(stale == nil && notOwned == nil)
        #expect(window.staleDropped == 2 && window.count == 0)
    }

    @Test(
        """
        a revocation waits for the partition's in-flight messages; after the partition comes back, old messages \
        belong to no assignment and store nothing
        """
    )
    func revokeAndBack() throws {
        var window = KafkaInFlightWindow(capacity: 10)
        window.assign([p0, p1])
        let oldEntered = window.enter(message(p0, 5), isCurrent: true)
        let old = try #require(oldEntered)
        let keptEntered = window.enter(message(p1, 7), isCurrent: true)
        let kept = try #require(keptEntered)
        #expect(window.isCurrent(message(p0, 5), generation: old))

        let revocation = window.beginRevoke([p0], waitForInFlight: true)
        let inFlight = try #require(revocation, "work of p0 in flight: the revocation waits")
        #expect(!inFlight.wait(timeout: .milliseconds(1)), "not yet")
        #expect(window.owned == [p1])
        #expect(!window.isCurrent(message(p0, 5), generation: old), "no longer owned")
        #expect(
            window.leave(message(p1, 7), generation: kept, completed: true).endsRevocationWait == false,
            "p1 is not revoked")
        let departure = window.leave(message(p0, 5), generation: old, completed: true)
        #expect(departure.endsRevocationWait, "the last p0 message lets the revocation go on")
        departure.wake()
        #expect(inFlight.wait(timeout: .seconds(5)))
        #expect(departure.offsetToStore == 6, "stored before the partition is given up")
        window.endRevoke([p0])

        window.assign([p0])
        let newEntered = window.enter(message(p0, 3), isCurrent: true)
        let new = try #require(newEntered)
        #expect(new != old)
        #expect(!window.isCurrent(message(p0, 5), generation: old), "owned again, but in a new assignment")
        #expect(
            window.leave(message(p0, 5), generation: old, completed: true).offsetToStore == nil,
            "an old completion stores nothing")
        #expect(window.leave(message(p0, 3), generation: new, completed: true).offsetToStore == 4)
    }

    @Test("a lost partition is given up without waiting")
    func lost() throws {
        var window = KafkaInFlightWindow(capacity: 10)
        window.assign([p0])
        let entered = window.enter(message(p0, 0), isCurrent: true)
        #expect(entered != nil)
        #expect(window.beginRevoke([p0], waitForInFlight: false) == nil)
        #expect(window.owned.isEmpty)
    }
}
