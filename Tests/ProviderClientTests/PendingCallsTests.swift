import Signals
import Synchronization
import Testing

@testable import ProviderClient

// The client's book of pending calls, without Kafka: instants are injected, callbacks collected.

private let t0 = ContinuousClock.now

/// Collects what completions and chunk handlers are given.
private final class Inbox: Sendable {
    let results = Mutex<[Result<ProviderCallResult, ProviderClientError>]>([])
    let chunks = Mutex<[StreamChunk]>([])

    var completion: PendingCalls.Completion { { result in self.results.withLock { $0.append(result) } } }
    var onChunk: PendingCalls.ChunkHandler { { chunk in self.chunks.withLock { $0.append(chunk) } } }
    var received: [Result<ProviderCallResult, ProviderClientError>] { results.withLock { $0 } }
    var chunkIndexes: [Int] { chunks.withLock { $0.map(\.index) } }
    var text: String { chunks.withLock { $0.map(\.delta).joined() } }

    var only: ProviderCallResult? {
        guard received.count == 1, case .success(let result) = received[0] else { return nil }
        return result
    }

    var failure: ProviderClientError? {
        guard received.count == 1, case .failure(let error) = received[0] else { return nil }
        return error
    }
}

private func response(_ id: String, _ text: String = "answer") -> Signal {
    .providerResponse(
        ProviderResponse(
            requestID: id, response: text, provider: "p", model: "m", latencyMs: 1, attempt: 1, instance: "i1"))
}

private func finalError(_ id: String) -> Signal {
    .providerError(
        ProviderError(
            requestID: id, errorType: .modelUnavailable, error: "no such model", retryable: false, provider: "p"))
}

private func handedBackError(_ id: String) -> Signal {
    let request = ProviderRequest(
        requestID: id, messages: [.user("hi")], attempt: 1,
        route: RouteContext(maxAttempts: 3, deadline: "2030-01-01T00:00:00Z"))
    return .providerError(
        ProviderError(
            requestID: id, errorType: .rateLimited, error: "slow down", retryable: true, provider: "p", request: request
        ))
}

private func chunk(_ id: String, _ index: Int) -> Signal {
    .streamChunk(StreamChunk(requestID: id, index: index, delta: "d\(index)"))
}

/// A chunk of run `run` (one call of the provider): its delta names the run and the index.
private func chunk(_ id: String, _ index: Int, run: String?, done: Bool = false) -> Signal {
    .streamChunk(StreamChunk(requestID: id, index: index, delta: "\(run ?? "-")\(index) ", done: done, run: run))
}

extension PendingCalls {
    /// Receives `signal` and runs what it hands back, as the client's reader does.
    fileprivate mutating func take(_ signal: Signal, at now: ContinuousClock.Instant = t0) -> Disposition {
        let (delivery, disposition) = receive(
            signal, envelope: SignalEnvelope(signal: signal, id: nil, source: "agent/p/i1", time: nil), at: now)
        switch delivery {
        case .chunks(let handler, let chunks)?: for chunk in chunks { handler(chunk) }
        case .complete(let completion, let result)?: completion(result)
        case nil: break
        }
        return disposition
    }

    /// Books and sends `id` to `topic` at `t0`.
    fileprivate mutating func sendBooked(_ id: String, topic: String = "llm.requests.p", onChunk: ChunkHandler? = nil)
        throws
    {
        try register(id, topic: topic, onChunk: onChunk, at: t0)
        sent(id, at: t0)
    }

    /// Waits for `id` with a 5 s timeout from `t0`; the immediate result, if any, goes to `inbox`.
    fileprivate mutating func wait(_ id: String, _ inbox: Inbox, token: UInt64 = 1, cancelled: Bool = false) {
        if let now = attach(
            id, token: token, deadline: t0 + .seconds(5), timeout: .seconds(5), cancelled: cancelled,
            completion: inbox.completion)
        {
            inbox.completion(now)
        }
    }
}

@Suite struct PendingCallsTests {
    @Test("the first final answer completes the call; later ones are counted per request and never delivered")
    func dedup() throws {
        var book = PendingCalls(replyTopic: "replies", capacity: 100)
        let inbox = Inbox()
        try book.sendBooked("r1")
        book.wait("r1", inbox)
        #expect(book.take(response("r1", "first"), at: t0 + .milliseconds(120)) == .answered)
        #expect(book.take(response("r1", "second")) == .duplicate(count: 1))
        #expect(book.take(finalError("r1")) == .duplicate(count: 2))
        #expect(inbox.received.count == 1)
        let result = try #require(inbox.only)
        #expect(result.text == "first")
        #expect(result.latency == .milliseconds(120))
        #expect(result.instance == "i1")
        #expect(book.stats.answered == 1)
        #expect(book.stats.duplicates == 2)
        #expect(book.stats.pending == 0)
        #expect(book.duplicates(for: "r1") == 2)
        #expect(book.duplicates(for: "never") == nil)
    }

    @Test("an answer that arrives before anyone waits is kept for the waiter; duplicates meanwhile are counted")
    func answerBeforeWaiter() throws {
        var book = PendingCalls(replyTopic: "replies", capacity: 100)
        try book.sendBooked("r1")
        #expect(book.take(response("r1", "first")) == .answered)
        #expect(book.take(response("r1", "again")) == .duplicate(count: 1))
        #expect(book.stats.pending == 1)
        let inbox = Inbox()
        book.wait("r1", inbox)
        #expect(inbox.only?.text == "first")
        #expect(book.duplicates(for: "r1") == 1)
        #expect(book.stats.pending == 0)
        // Taken: waiting again is refused.
        let again = Inbox()
        book.wait("r1", again)
        #expect(again.failure?.code == .unknownRequest)
    }

    @Test("answers and chunks for request ids this client never sent are ignored and counted")
    func foreign() throws {
        var book = PendingCalls(replyTopic: "replies", capacity: 100)
        let inbox = Inbox()
        try book.sendBooked("mine")
        book.wait("mine", inbox)
        #expect(book.take(response("theirs")) == .foreign)
        #expect(book.take(chunk("theirs", 0)) == .foreign)
        #expect(book.take(finalError("theirs")) == .foreign)
        #expect(book.stats.foreign == 3)
        #expect(inbox.received.isEmpty)
        #expect(book.knows("mine"))
        #expect(!book.knows("theirs"))
        #expect(
            book.take(
                .providerStatus(
                    ProviderStatus(
                        provider: "p", status: "healthy", circuitBreaker: .init(state: "closed", failureCount: 0),
                        rateLimiter: .init(limit: 1, windowMs: 1, currentCount: 0),
                        metrics: .init(totalRequests: 0, successRate: 1)
                    ))) == .ignored)
        #expect(book.stats.ignored == 1)
    }

    @Test("a provider_error carrying the request is handed to the routers, not an answer: ignored")
    func nonFinalErrors() throws {
        var book = PendingCalls(replyTopic: "replies", capacity: 100)
        let inbox = Inbox()
        try book.sendBooked("r1")
        book.wait("r1", inbox)
        #expect(book.take(handedBackError("r1")) == .nonFinal)
        #expect(inbox.received.isEmpty)
        #expect(book.stats.nonFinal == 1)
        #expect(book.take(finalError("r1")) == .answered)
        let result = try #require(inbox.only)
        #expect(result.error?.errorType == .modelUnavailable)
        #expect(result.succeeded == false)
    }

    @Test(
        "chunks reach the handler once each, in index order (a chunk after a gap waits); the result holds them sorted")
    func chunksInOrder() throws {
        var book = PendingCalls(replyTopic: "replies", capacity: 100)
        let inbox = Inbox()
        try book.sendBooked("s1", onChunk: inbox.onChunk)
        book.wait("s1", inbox)
        #expect(book.take(chunk("s1", 0)) == .chunk)
        #expect(inbox.chunkIndexes == [0])
        #expect(book.take(chunk("s1", 2)) == .chunk)
        #expect(inbox.chunkIndexes == [0], "2 waits for 1")
        #expect(book.take(chunk("s1", 1)) == .chunk)
        #expect(inbox.chunkIndexes == [0, 1, 2])
        #expect(book.take(chunk("s1", 1)) == .staleChunk, "a repeated index (a redelivered stream) is dropped")
        #expect(book.take(chunk("s1", 3)) == .chunk)
        #expect(book.take(response("s1", "d0d1d2d3")) == .answered)
        #expect(inbox.chunkIndexes == [0, 1, 2, 3])
        #expect(inbox.only?.chunks.map(\.index) == [0, 1, 2, 3])
        #expect(inbox.only?.chunks.map(\.delta).joined() == "d0d1d2d3")
        #expect(book.take(chunk("s1", 4)) == .staleChunk, "after the final answer")
        #expect(book.stats.foreign == 0)
    }

    @Test("without a handler, chunks are only collected into the result, sorted")
    func chunksCollected() throws {
        var book = PendingCalls(replyTopic: "replies", capacity: 100)
        try book.sendBooked("s1")
        for index in [1, 0, 2] { _ = book.take(chunk("s1", index)) }
        _ = book.take(response("s1"))
        let inbox = Inbox()
        book.wait("s1", inbox)
        #expect(inbox.only?.chunks.map(\.index) == [0, 1, 2])
    }

    @Test("two runs interleaved with the same indexes: only the first run seen reaches onChunk and the result")
    func interleavedRuns() throws {
        var book = PendingCalls(replyTopic: "replies", capacity: 100)
        let inbox = Inbox()
        try book.sendBooked("s1", onChunk: inbox.onChunk)
        book.wait("s1", inbox)
        // Run a streams 0 and 1, then the agent crashes; run b (the redelivery) starts from 0 again,
        // and a's last chunk, delayed, arrives among b's.
        #expect(book.take(chunk("s1", 0, run: "a")) == .chunk)
        #expect(book.take(chunk("s1", 1, run: "a")) == .chunk)
        #expect(book.take(chunk("s1", 0, run: "b")) == .otherRun)
        #expect(book.take(chunk("s1", 1, run: "b")) == .otherRun)
        #expect(book.take(chunk("s1", 2, run: "b")) == .otherRun, "a new index of another run is not a's next chunk")
        #expect(inbox.text == "a0 a1 ", "b2 must not follow a1")
        #expect(book.take(chunk("s1", 2, run: "a", done: true)) == .chunk)
        #expect(book.take(chunk("s1", 3, run: "b", done: true)) == .otherRun)
        #expect(book.stats.otherRunChunks == 4)
        #expect(inbox.text == "a0 a1 a2 ")
        #expect(Set(inbox.chunks.withLock { $0.map(\.run) }) == ["a"], "onChunk never gets two runs")
        #expect(book.take(response("s1", "b0 b1 b2 b3 ")) == .answered)
        let result = try #require(inbox.only)
        #expect(result.chunks.map(\.index) == [0, 1, 2])
        #expect(result.chunks.allSatisfy { $0.run == "a" }, "\(result.chunks)")
        #expect(result.chunks.map(\.delta).joined() == "a0 a1 a2 ")
        #expect(book.stats.foreign == 0)
    }

    @Test("the run kept is the first one to arrive, whichever call started first; without a handler too")
    func firstRunSeenIsKept() throws {
        var book = PendingCalls(replyTopic: "replies", capacity: 100)
        try book.sendBooked("s1")
        for (index, run) in [(0, "late"), (0, "early"), (1, "early"), (1, "late"), (2, "late"), (2, "early")] {
            _ = book.take(chunk("s1", index, run: run))
        }
        #expect(book.stats.otherRunChunks == 3)
        _ = book.take(response("s1"))
        let inbox = Inbox()
        book.wait("s1", inbox)
        let result = try #require(inbox.only)
        #expect(result.chunks.map(\.delta).joined() == "late0 late1 late2 ")
    }

    @Test("chunks without a run (older agents) are one run as before; a named run after them is another")
    func unnamedRuns() throws {
        var book = PendingCalls(replyTopic: "replies", capacity: 100)
        let inbox = Inbox()
        try book.sendBooked("s1", onChunk: inbox.onChunk)
        book.wait("s1", inbox)
        #expect(book.take(chunk("s1", 0, run: nil)) == .chunk)
        #expect(book.take(chunk("s1", 0, run: nil)) == .staleChunk, "a repeated index, as before")
        #expect(book.take(chunk("s1", 1, run: "new")) == .otherRun, "a newer agent's call is another run")
        #expect(book.take(chunk("s1", 1, run: nil)) == .chunk)
        #expect(inbox.text == "-0 -1 ")
        #expect(book.stats.otherRunChunks == 1)

        // A stream that starts with a named run drops unnamed chunks the same way.
        let named = Inbox()
        try book.sendBooked("s2", onChunk: named.onChunk)
        book.wait("s2", named)
        #expect(book.take(chunk("s2", 0, run: "r1")) == .chunk)
        #expect(book.take(chunk("s2", 1, run: nil)) == .otherRun)
        #expect(book.take(chunk("s2", 1, run: "r1")) == .chunk)
        #expect(named.text == "r10 r11 ")
        #expect(book.stats.otherRunChunks == 2)
    }

    @Test("a call whose deadline passes fails naming the request and both topics; its later answer counts as late")
    func timeout() throws {
        var book = PendingCalls(replyTopic: "llm.replies.c1", capacity: 100)
        let inbox = Inbox()
        try book.sendBooked("r1", topic: "llm.requests.p")
        book.wait("r1", inbox)
        #expect(book.expire(at: t0 + .milliseconds(4_999)).isEmpty)
        let expired = book.expire(at: t0 + .seconds(5))
        #expect(expired.count == 1)
        for (completion, error) in expired { completion(.failure(error)) }
        let error = try #require(inbox.failure)
        #expect(error.code == .timedOut)
        #expect(error.requestID == "r1")
        #expect(
            error.message
                == """
                no final answer to request 'r1' within 5 s (sent to 'llm.requests.p', awaited on reply topic \
                'llm.replies.c1')
                """
        )
        #expect(book.stats.timedOut == 1)
        #expect(book.stats.pending == 0)
        #expect(book.expire(at: t0 + .seconds(60)).isEmpty, "expired once")
        #expect(book.take(response("r1")) == .late)
        #expect(book.take(response("r1")) == .duplicate(count: 1))
        #expect(book.stats.late == 1)
        #expect(book.stats.foreign == 0)
        #expect(inbox.received.count == 1)
    }

    @Test func answeredCallsDoNotExpire() throws {
        var book = PendingCalls(replyTopic: "replies", capacity: 100)
        let inbox = Inbox()
        try book.sendBooked("r1")
        book.wait("r1", inbox)
        _ = book.take(response("r1"))
        #expect(book.expire(at: t0 + .seconds(10)).isEmpty)
        #expect(book.stats.timedOut == 0)
        #expect(inbox.only != nil)
    }

    @Test("a cancelled waiter gives up (only its own token cancels it); a waiter already cancelled is refused at once")
    func cancellation() throws {
        var book = PendingCalls(replyTopic: "replies", capacity: 100)
        let inbox = Inbox()
        try book.sendBooked("r1")
        book.wait("r1", inbox, token: 7)
        #expect(book.cancel("r1", token: 8) == nil)
        let cancelled = book.cancel("r1", token: 7)
        let completion = try #require(cancelled)
        completion(.failure(PendingCalls.cancelled("r1")))
        #expect(inbox.failure?.code == .cancelled)
        #expect(book.take(response("r1")) == .late)

        let early = Inbox()
        try book.sendBooked("r2")
        book.wait("r2", early, cancelled: true)
        #expect(early.failure?.code == .cancelled)
        #expect(book.stats.pending == 0)
    }

    @Test("one waiter per request; unknown requests are refused")
    func waiters() throws {
        var book = PendingCalls(replyTopic: "replies", capacity: 100)
        try book.sendBooked("r1")
        book.wait("r1", Inbox(), token: 1)
        let second = Inbox()
        book.wait("r1", second, token: 2)
        #expect(second.failure?.code == .alreadyAwaited)
        let unknown = Inbox()
        book.wait("nope", unknown)
        #expect(unknown.failure?.code == .unknownRequest)
        #expect(unknown.failure?.message.contains("'nope'") == true)
    }

    @Test(
        """
        a request id waiting already cannot be sent again; once finished it may (a retry), and a late answer \
        serves the retry
        """
    )
    func reuse() throws {
        var book = PendingCalls(replyTopic: "replies", capacity: 100)
        try book.sendBooked("r1")
        #expect(throws: ProviderClientError.self) { try book.register("r1", topic: "t", onChunk: nil, at: t0) }
        book.wait("r1", Inbox())
        _ = book.expire(at: t0 + .seconds(5))
        let retry = Inbox()
        try book.sendBooked("r1")
        book.wait("r1", retry)
        #expect(book.take(response("r1", "late but fine")) == .answered)
        #expect(retry.only?.text == "late but fine")
        #expect(book.stats.late == 0)
    }

    @Test("a failed send unbooks the request and returns a waiter that attached meanwhile")
    func unregister() throws {
        var book = PendingCalls(replyTopic: "replies", capacity: 100)
        try book.register("r1", topic: "t", onChunk: nil, at: t0)
        let inbox = Inbox()
        book.wait("r1", inbox)
        #expect(book.unregister("r1") != nil)
        #expect(book.stats.pending == 0)
        #expect(book.stats.sent == 0)
        #expect(book.take(response("r1")) == .foreign, "never sent, so not remembered")
    }

    @Test("close fails every waiting call naming it, and refuses new requests")
    func close() throws {
        var book = PendingCalls(replyTopic: "replies", capacity: 100)
        let waiting = Inbox()
        try book.sendBooked("r1")
        try book.sendBooked("r2")
        book.wait("r1", waiting)
        let failed = book.close(because: ProviderClientError(code: .shutDown, message: "the client was shut down"))
        #expect(failed.count == 1)
        for (completion, error) in failed { completion(.failure(error)) }
        #expect(waiting.failure?.code == .shutDown)
        #expect(waiting.failure?.message == "no answer to request 'r1': the client was shut down")
        #expect(waiting.failure?.requestID == "r1")
        #expect(book.stats.pending == 0)
        #expect(book.isClosed)
        do {
            try book.register("r3", topic: "t", onChunk: nil, at: t0)
            Issue.record("a closed book took a request")
        } catch {
            #expect(error.code == .shutDown)
            #expect(error.message == "request 'r3' not sent: the client was shut down")
        }
        let late = Inbox()
        book.wait("r2", late)
        #expect(late.failure?.code == .shutDown)
    }

    @Test("finished request ids are remembered up to the capacity, oldest forgotten first")
    func boundedMemory() throws {
        var book = PendingCalls(replyTopic: "replies", capacity: 2)
        for id in ["a", "b", "c"] {
            try book.sendBooked(id)
            book.wait(id, Inbox())
            _ = book.take(response(id))
        }
        #expect(book.take(response("a")) == .foreign, "forgotten")
        #expect(book.take(response("b")) == .duplicate(count: 1))
        #expect(book.take(response("c")) == .duplicate(count: 1))
        // A reused id does not make the memory forget the wrong entry.
        try book.sendBooked("b")
        book.wait("b", Inbox())
        _ = book.take(response("b"))
        try book.sendBooked("d")
        book.wait("d", Inbox())
        _ = book.take(response("d"))
        #expect(book.take(response("b")) == .duplicate(count: 1))
        #expect(book.take(response("d")) == .duplicate(count: 1))
        #expect(book.take(response("c")) == .foreign)
    }
}
