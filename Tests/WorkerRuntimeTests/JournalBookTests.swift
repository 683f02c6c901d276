import Kafka
import Synchronization
import Testing

@testable import WorkerRuntime

@Suite("Journal index and bookkeeping")
struct JournalBookTests {
    let input = TopicPartition(topic: "requests", partition: 3)
    let key = JournalKey(requestID: "r1", attempt: 1)

    /// Collects the claims a waiter gets.
    final class Answers: Sendable {
        let claims = Mutex<[String]>([])
        func completion(_ tag: String) -> @Sendable (JournalClaim) -> Void {
            { claim in
                let text: String
                switch claim {
                case .claimed(let recall): text = recall ? "recall" : "claimed"
                case .replay(let outputs): text = "replay(\(outputs.count))"
                case .abandoned: text = "abandoned"
                }
                self.claims.withLock { $0.append("\(tag):\(text)") }
            }
        }
        var all: [String] { claims.withLock { $0 } }
    }

    func waiter(_ key: JournalKey, _ answers: Answers, _ tag: String, at timestamp: Int64? = 1_000_000)
        -> JournalBook.Waiter
    {
        JournalBook.Waiter(key: key, timestampMs: timestamp, completion: answers.completion(tag))
    }

    @Test("index: done replaces started, never the reverse; attempts are apart")
    func indexStates() {
        var index = JournalIndex(window: .seconds(600), maxEntries: 10)
        index.apply(key, state: .started, offset: 1, recordedAtMs: 100, nowMs: 100)
        #expect(index.entry(key)?.state == .started)
        index.apply(key, state: .done, offset: 2, recordedAtMs: 101, nowMs: 101)
        #expect(index.entry(key) == JournalIndex.Entry(state: .done, offset: 2, recordedAtMs: 101))
        index.apply(key, state: .started, offset: 3, recordedAtMs: 102, nowMs: 102)
        #expect(index.entry(key)?.state == .done, "a late started record does not undo done")
        #expect(index.entry(JournalKey(requestID: "r1", attempt: 2)) == nil)
    }

    @Test("index: entries older than the window go; the bound drops the oldest early and counts them")
    func indexEviction() {
        var index = JournalIndex(window: .seconds(10), maxEntries: 3)
        for n in 0..<3 {
            index.apply(
                JournalKey(requestID: "k\(n)", attempt: 1), state: .done, offset: Int64(n),
                recordedAtMs: 1_000 * Int64(n), nowMs: 2_000)
        }
        #expect(index.count == 3)
        index.apply(JournalKey(requestID: "k3", attempt: 1), state: .done, offset: 3, recordedAtMs: 3_000, nowMs: 3_000)
        #expect(index.count == 3 && index.entry(JournalKey(requestID: "k0", attempt: 1)) == nil)
        #expect(index.evictedEarly == 1)
        index.trim(nowMs: 11_500)
        #expect(
            index.entry(JournalKey(requestID: "k1", attempt: 1)) == nil,
            "recorded at 1 s: outside the 10-s window at 11.5 s")
        #expect(index.entry(JournalKey(requestID: "k2", attempt: 1)) != nil)
        #expect(index.evictedEarly == 1, "a window eviction is not early")
        var kept = JournalIndex(window: .seconds(10), maxEntries: 10)
        kept.keepFrom(500)
        kept.apply(JournalKey(requestID: "old", attempt: 1), state: .done, offset: 0, recordedAtMs: 600, nowMs: 60_000)
        #expect(kept.entry(JournalKey(requestID: "old", attempt: 1)) != nil, "at or after the build's start: kept")
    }

    @Test(
        """
        the first claim of a partition reads its journal from the message time minus window and margin; claims \
        wait meanwhile
        """
    )
    func firstClaimBuilds() throws {
        var book = JournalBook(
            configuration: JournalConfiguration(topic: "j", window: .seconds(60), clockSkewMargin: .seconds(5)))
        let answers = Answers()
        #expect(
            {
                if case .answer(.abandoned) = book.claim(waiter(key, answers, "x"), input: input, nowMs: 0) {
                    true
                } else {
                    false
                }
            }(),
            "not assigned: abandoned")
        book.assigned([input])
        guard
            case .build(let partition, let generation, let from) = book.claim(
                waiter(key, answers, "a", at: 900_000), input: input, nowMs: 1_000_000)
        else {
            Issue.record("the first claim must build the index")
            return
        }
        #expect(partition == input && from == 900_000 - 65_000, "from the message's time, not now")
        guard
            case .wait = book.claim(
                waiter(JournalKey(requestID: "r2", attempt: 1), answers, "b"), input: input, nowMs: 1_000_000)
        else {
            Issue.record("a claim during the build waits")
            return
        }
        var index = book.newIndex()
        index.apply(
            JournalKey(requestID: "r2", attempt: 1), state: .started, offset: 4, recordedAtMs: 950_000, nowMs: 1_000_000
        )
        let built = book.built(input, generation: generation, index: index)
        let waiters = try #require(built)
        #expect(waiters.map(\.key) == [key, JournalKey(requestID: "r2", attempt: 1)])
        #expect(book.built(input, generation: generation, index: index) == nil, "built once")
    }

    /// A book whose partition `input` is ready, with `index`.
    func readyBook(_ index: (inout JournalIndex) -> Void = { _ in }) -> JournalBook {
        var book = JournalBook(configuration: JournalConfiguration(topic: "j"))
        book.assigned([input])
        _ = book.claim(waiter(JournalKey(requestID: "warm-up", attempt: 1), Answers(), "w"), input: input, nowMs: 1)
        var built = book.newIndex()
        index(&built)
        _ = book.built(input, generation: book.partitions[input]!.generation, index: built)
        _ = book.finish(JournalKey(requestID: "warm-up", attempt: 1), input: input)
        return book
    }

    @Test("ready: nothing recorded → claimed; a copy meanwhile waits and gets the outputs when it is done")
    func copiesWait() {
        var book = readyBook()
        let answers = Answers()
        guard case .answer(.claimed(false)) = book.claim(waiter(key, answers, "first"), input: input, nowMs: 2) else {
            Issue.record("nothing recorded: the first copy handles it")
            return
        }
        guard case .wait = book.claim(waiter(key, answers, "second"), input: input, nowMs: 2) else {
            Issue.record("a copy of a request in flight here waits for it")
            return
        }
        let waiting = book.learn(
            key, state: .done, input: input, offset: 10, recordedAtMs: 2, nowMs: 2, finishing: true)
        #expect(waiting.map(\.key) == [key], "the copy that waited is handed the outputs")
        #expect(book.waited == 1)
        guard case .fetch(_, 10) = book.claim(waiter(key, answers, "late"), input: input, nowMs: 3) else {
            Issue.record("done here: the outputs are read back at offset 10")
            return
        }
    }

    @Test("ready: only started → a recall (counted); done → the record is read back")
    func recordedStates() {
        var book = readyBook { index in
            index.apply(JournalKey(requestID: "s", attempt: 1), state: .started, offset: 1, recordedAtMs: 1, nowMs: 1)
            index.apply(JournalKey(requestID: "d", attempt: 1), state: .done, offset: 9, recordedAtMs: 1, nowMs: 1)
        }
        let answers = Answers()
        guard
            case .answer(.claimed(true)) = book.claim(
                waiter(JournalKey(requestID: "s", attempt: 1), answers, "s"), input: input, nowMs: 3)
        else {
            Issue.record("started only: a recall")
            return
        }
        #expect(book.recalls == 1)
        guard
            case .fetch(_, 9) = book.claim(
                waiter(JournalKey(requestID: "d", attempt: 1), answers, "d"), input: input, nowMs: 3)
        else {
            Issue.record("done: read back the outputs at offset 9")
            return
        }
        #expect(
            book.fetchFailed(JournalKey(requestID: "d", attempt: 1), input: input).map {
                if case .claimed(true) = $0 { true } else { false }
            } == true,
            "a record that cannot be read back is handled as a recall")
    }

    @Test("a release hands the key to the next copy; a revocation abandons what waits")
    func releaseAndRevoke() {
        var book = JournalBook(configuration: JournalConfiguration(topic: "j"))
        book.assigned([input])
        let answers = Answers()
        _ = book.claim(waiter(key, answers, "a"), input: input, nowMs: 1)
        let generation = book.partitions[input]!.generation
        for waiter in book.built(input, generation: generation, index: book.newIndex()) ?? [] {
            if case .answer(let claim) = book.claim(waiter, input: input, nowMs: 1) { waiter.completion(claim) }
        }
        _ = book.claim(waiter(key, answers, "b"), input: input, nowMs: 1)
        let released = book.finish(key, input: input)
        #expect(released.map(\.key) == [key], "the waiting copy claims again")
        if case .answer(let claim) = book.claim(released[0], input: input, nowMs: 1) { released[0].completion(claim) }
        _ = book.claim(waiter(key, answers, "c"), input: input, nowMs: 1)
        let abandoned = book.revoked([input])
        for waiter in abandoned { waiter.completion(.abandoned) }
        #expect(answers.all == ["a:claimed", "b:claimed", "c:abandoned"])
        #expect(book.partitions[input] == nil)
    }
}
