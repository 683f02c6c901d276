import Synchronization
import Testing

@testable import WorkerRuntime

@Suite("Job queue")
struct JobQueueTests {
    /// The numbers of the jobs that ran, in order.
    private final class Ran: Sendable {
        let numbers = Mutex<[Int]>([])
        var all: [Int] { numbers.withLock { $0 } }
    }

    /// A job that records its number when run.
    private static func job(_ number: Int, into ran: Ran) -> JobQueue.Job {
        { ran.numbers.withLock { $0.append(number) } }
    }

    @Test("jobs submitted while nobody waits come out together, in order")
    func batch() async {
        let queue = JobQueue()
        let ran = Ran()
        for number in 1...3 { queue.submit(Self.job(number, into: ran)) }
        let batch = await queue.next()
        #expect(batch.count == 3)
        for job in batch { await job() }
        #expect(ran.all == [1, 2, 3])
    }

    @Test("a waiting taker gets the next job as soon as it is submitted")
    func wakesWaiter() async {
        let queue = JobQueue()
        let ran = Ran()
        async let taken = queue.next()
        // Give the taker time to park; the job must reach it either way.
        try? await Task.sleep(for: .milliseconds(20))
        queue.submit(Self.job(7, into: ran))
        let batch = await taken
        #expect(batch.count == 1)
        for job in batch { await job() }
        #expect(ran.all == [7])
    }

    @Test("finish: a waiting taker gets an empty batch, later jobs are dropped")
    func finish() async {
        let queue = JobQueue()
        let ran = Ran()
        async let taken = queue.next()
        try? await Task.sleep(for: .milliseconds(20))
        queue.finish()
        #expect(await taken.isEmpty)
        queue.submit(Self.job(1, into: ran))
        #expect(await queue.next().isEmpty, "nothing is accepted after finish")
    }

    @Test("jobs queued before finish are still handed out, then the queue is empty")
    func drainsAfterFinish() async {
        let queue = JobQueue()
        let ran = Ran()
        queue.submit(Self.job(1, into: ran))
        queue.submit(Self.job(2, into: ran))
        queue.finish()
        let batch = await queue.next()
        #expect(batch.count == 2)
        #expect(await queue.next().isEmpty)
    }

    @Test("cancelling the taker ends its wait with an empty batch")
    func cancellation() async {
        let queue = JobQueue()
        let taker = Task { await queue.next() }
        try? await Task.sleep(for: .milliseconds(20))
        taker.cancel()
        #expect(await taker.value.isEmpty)
    }
}
