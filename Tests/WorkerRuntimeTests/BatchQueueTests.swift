import Common
import Foundation
import Synchronization
import Testing

/// `BatchQueue` as the worker's job queue uses it (jobs as closures), and with a large backlog.
@Suite("Batch queue")
struct BatchQueueTests {
    typealias Job = @Sendable () async -> Void

    /// The numbers of the jobs that ran, in order.
    private final class Ran: Sendable {
        let numbers = Mutex<[Int]>([])
        var all: [Int] { numbers.withLock { $0 } }
    }

    /// A job that records its number when run.
    private static func job(_ number: Int, into ran: Ran) -> Job {
        { ran.numbers.withLock { $0.append(number) } }
    }

    @Test("jobs submitted while nobody waits come out together, in order")
    func batch() async {
        let queue = BatchQueue<Job>()
        let ran = Ran()
        for number in 1...3 { queue.append(Self.job(number, into: ran)) }
        let batch = await queue.next()
        #expect(batch.count == 3)
        for job in batch { await job() }
        #expect(ran.all == [1, 2, 3])
    }

    @Test("a waiting taker gets the next job as soon as it is submitted")
    func wakesWaiter() async {
        let queue = BatchQueue<Job>()
        let ran = Ran()
        async let taken = queue.next()
        // Give the taker time to park; the job must reach it either way.
        try? await Task.sleep(for: .milliseconds(20))
        queue.append(Self.job(7, into: ran))
        let batch = await taken
        #expect(batch.count == 1)
        for job in batch { await job() }
        #expect(ran.all == [7])
    }

    @Test("finish: a waiting taker gets an empty batch, later jobs are dropped")
    func finish() async {
        let queue = BatchQueue<Job>()
        let ran = Ran()
        async let taken = queue.next()
        try? await Task.sleep(for: .milliseconds(20))
        queue.finish()
        #expect(await taken.isEmpty)
        #expect(!queue.append(Self.job(1, into: ran)), "nothing is accepted after finish")
        #expect(await queue.next().isEmpty, "nothing is handed out after finish")
    }

    @Test("jobs queued before finish are still handed out, then the queue is empty")
    func drainsAfterFinish() async {
        let queue = BatchQueue<Job>()
        let ran = Ran()
        queue.append(Self.job(1, into: ran))
        queue.append(Self.job(2, into: ran))
        queue.finish()
        let batch = await queue.next()
        #expect(batch.count == 2)
        #expect(await queue.next().isEmpty)
    }

    @Test("cancelling the taker ends its wait with an empty batch")
    func cancellation() async {
        let queue = BatchQueue<Job>()
        let taker = Task { await queue.next() }
        try? await Task.sleep(for: .milliseconds(20))
        taker.cancel()
        #expect(await taker.value.isEmpty)
        #expect(queue.isFinished, "a cancelled taker finishes the queue")
    }

    @Test("200,000 items from two threads arrive complete and in each thread's order")
    func largeBacklog() async {
        let queue = BatchQueue<Int>()
        let perThread = 100_000
        let feeders = (0..<2).map { thread in
            Thread {
                for number in 0..<perThread { queue.append(thread * perThread + number) }
            }
        }
        for feeder in feeders { feeder.start() }
        var seen: [[Int]] = [[], []]
        var batches = 0
        while seen[0].count + seen[1].count < 2 * perThread {
            let batch = await queue.next()
            batches += 1
            for item in batch { seen[item / perThread].append(item % perThread) }
        }
        #expect(seen[0] == Array(0..<perThread))
        #expect(seen[1] == Array(0..<perThread))
        #expect(batches < 2 * perThread, "items queued while the taker works come out together")
    }
}
