import DequeModule
import HeapModule
import Signals

/// The client's book of the requests it sent: who waits for which request id, the chunks and
/// answers that arrived, the deadlines, and the request ids recently finished (so a later answer
/// is a duplicate or a late answer, not a foreign one).
///
/// Pure state, kept behind the client's `Mutex`: one dictionary entry per request, no task per
/// request. Time is passed in; callbacks are returned, never called here, so the client runs
/// them outside the lock.
struct PendingCalls: Sendable {
    typealias Completion = @Sendable (Result<ProviderCallResult, ProviderClientError>) -> Void
    typealias ChunkHandler = @Sendable (StreamChunk) -> Void

    /// One request sent (or being sent) and not yet taken.
    struct Call: Sendable {
        /// Where the request was sent.
        var topic: String
        var registeredAt: ContinuousClock.Instant
        /// When the send was acknowledged.
        var sentAt: ContinuousClock.Instant?
        var onChunk: ChunkHandler?
        /// Chunks by index (one per index: a repeated index is dropped), all of one run.
        var chunks: [Int: StreamChunk] = [:]
        /// The run whose chunks are kept: the first chunk's `run` (`nil` from agents that do not
        /// name runs). Meaningful once `chunks` holds one.
        var run: String?
        /// The next index `onChunk` gets; chunks after a gap wait for it.
        var nextChunk = 0
        var waiter: Waiter?
        /// The first final answer, kept until a waiter takes it.
        var answer: ProviderCallResult?
        var duplicates = 0
    }

    struct Waiter: Sendable {
        var token: UInt64
        var completion: Completion
        var deadline: ContinuousClock.Instant
        var timeout: Duration
    }

    /// How a remembered request ended.
    enum Ending: Sendable, Hashable {
        /// Its first final answer was taken.
        case answered
        /// Its call gave up (timed out, cancelled, discarded) before a final answer arrived.
        case gaveUp
    }

    struct Remembered: Sendable, Hashable {
        var ending: Ending
        var duplicates: Int
        var serial: UInt64
    }

    /// What the client does after the lock is released.
    enum Delivery: Sendable {
        /// Hand these chunks, in order, to the call's chunk handler.
        case chunks(ChunkHandler, [StreamChunk])
        /// Complete a waiting call.
        case complete(Completion, Result<ProviderCallResult, ProviderClientError>)
    }

    /// What became of a received signal (for logs and tests).
    enum Disposition: Sendable, Hashable {
        /// A chunk of a pending request, kept.
        case chunk
        /// A chunk repeated, or arriving after the final answer: dropped.
        case staleChunk
        /// A chunk of another run than the one kept (the provider was called again, after a
        /// crash mid-stream, and numbered its chunks from 0 again): dropped.
        case otherRun
        /// The first final answer of a pending request.
        case answered
        /// Another final answer for an answered request (the `count`th): dropped.
        case duplicate(count: Int)
        /// The first final answer after the call gave up: dropped.
        case late
        /// A request id this client did not send (or no longer remembers).
        case foreign
        /// A `provider_error` handed back to the routers (not final).
        case nonFinal
        /// Not a chunk, response or error.
        case ignored
    }

    /// A deadline in the heap; stale once its call is answered or re-awaited (the token differs).
    struct Expiry: Comparable, Sendable {
        var deadline: ContinuousClock.Instant
        var token: UInt64
        var requestID: String

        static func < (a: Expiry, b: Expiry) -> Bool { (a.deadline, a.token) < (b.deadline, b.token) }
        static func == (a: Expiry, b: Expiry) -> Bool { a.token == b.token }
    }

    let replyTopic: String
    /// Finished request ids remembered (oldest forgotten first).
    let capacity: Int
    private(set) var calls: [String: Call] = [:]
    private(set) var stats = ProviderClientStats()
    private var remembered: [String: Remembered] = [:]
    private var rememberedOrder: Deque<(id: String, serial: UInt64)> = []
    private var serial: UInt64 = 0
    private var expiries = Heap<Expiry>()
    private var closedBy: ProviderClientError?

    init(replyTopic: String, capacity: Int) {
        self.replyTopic = replyTopic
        self.capacity = max(0, capacity)
    }

    // MARK: Sending

    /// Books `requestID` before it is published, so that no answer can arrive unbooked.
    mutating func register(_ requestID: String, topic: String, onChunk: ChunkHandler?, at now: ContinuousClock.Instant)
        throws(ProviderClientError)
    {
        if let closedBy {
            throw ProviderClientError(
                code: closedBy.code, message: "request '\(requestID)' not sent: \(closedBy.message)",
                requestID: requestID)
        }
        guard calls[requestID] == nil else {
            throw ProviderClientError(
                code: .duplicateRequest,
                message: "request '\(requestID)' is already waiting for its answer in this client", requestID: requestID
            )
        }
        // A request id used again (a retry of a call that gave up) starts afresh: a late answer
        // to the earlier send is a fine answer to this one.
        remembered.removeValue(forKey: requestID)
        calls[requestID] = Call(topic: topic, registeredAt: now, onChunk: onChunk)
        stats.pending += 1
    }

    /// The send was acknowledged.
    mutating func sent(_ requestID: String, at now: ContinuousClock.Instant) {
        stats.sent += 1
        calls[requestID]?.sentAt = now
    }

    /// The send failed: the request was never published. Returns its waiter, if one attached meanwhile.
    mutating func unregister(_ requestID: String) -> Completion? {
        guard let call = calls.removeValue(forKey: requestID) else { return nil }
        stats.pending -= 1
        return call.waiter?.completion
    }

    // MARK: Waiting

    /// Waits for `requestID`'s answer until `deadline`: the result at once when it is known
    /// (answered, or the wait is refused), else `nil` and `completion` is returned later by
    /// ``receive(_:envelope:at:)``, ``expire(at:)``, ``cancel(_:token:)`` or ``close(because:)``.
    mutating func attach(
        _ requestID: String, token: UInt64, deadline: ContinuousClock.Instant, timeout: Duration, cancelled: Bool,
        completion: @escaping Completion
    ) -> Result<ProviderCallResult, ProviderClientError>? {
        guard var call = calls[requestID] else {
            if let closedBy {
                return .failure(
                    ProviderClientError(
                        code: closedBy.code, message: "no answer to request '\(requestID)': \(closedBy.message)",
                        requestID: requestID))
            }
            return .failure(
                ProviderClientError(
                    code: .unknownRequest,
                    message: "request '\(requestID)' was not sent by this client, or its answer was already taken",
                    requestID: requestID
                ))
        }
        guard call.waiter == nil else {
            return .failure(
                ProviderClientError(
                    code: .alreadyAwaited,
                    message: "another task is already awaiting the answer to request '\(requestID)'",
                    requestID: requestID))
        }
        if let answer = call.answer {
            finish(requestID, .answered, duplicates: call.duplicates)
            return .success(answer)
        }
        if cancelled {
            finish(requestID, .gaveUp, duplicates: call.duplicates)
            return .failure(Self.cancelled(requestID))
        }
        call.waiter = Waiter(token: token, completion: completion, deadline: deadline, timeout: timeout)
        calls[requestID] = call
        expiries.insert(Expiry(deadline: deadline, token: token, requestID: requestID))
        return nil
    }

    /// The waiting task was cancelled: the call gives up. Returns its completion when `token`
    /// still waits.
    mutating func cancel(_ requestID: String, token: UInt64) -> Completion? {
        guard let call = calls[requestID], let waiter = call.waiter, waiter.token == token else { return nil }
        finish(requestID, .gaveUp, duplicates: call.duplicates)
        return waiter.completion
    }

    /// Stops waiting for `requestID` (a sent request whose answer nobody will take). Returns the
    /// waiter's completion, if one waits.
    mutating func discard(_ requestID: String) -> Completion? {
        guard let call = calls[requestID] else { return nil }
        finish(requestID, .gaveUp, duplicates: call.duplicates)
        return call.waiter?.completion
    }

    /// Calls whose deadline is `now` or earlier give up, with a timeout error naming the request
    /// and both topics.
    mutating func expire(at now: ContinuousClock.Instant) -> [(Completion, ProviderClientError)] {
        var expired: [(Completion, ProviderClientError)] = []
        while let first = expiries.min, first.deadline <= now {
            expiries.removeMin()
            guard let call = calls[first.requestID], let waiter = call.waiter, waiter.token == first.token else {
                continue
            }
            finish(first.requestID, .gaveUp, duplicates: call.duplicates)
            stats.timedOut += 1
            expired.append(
                (
                    waiter.completion,
                    ProviderClientError(
                        code: .timedOut,
                        message:
                            """
                            no final answer to request '\(first.requestID)' within \(waiter.timeout.spoken) (sent \
                            to '\(call.topic)', awaited on reply topic '\(replyTopic)')
                            """,
                        requestID: first.requestID
                    )
                ))
        }
        return expired
    }

    /// No more sends; every waiting call fails with `error` (its message completed per request).
    mutating func close(because error: ProviderClientError) -> [(Completion, ProviderClientError)] {
        if closedBy == nil { closedBy = error }
        let waiting = calls.compactMap { id, call in
            call.waiter.map {
                (
                    $0.completion,
                    ProviderClientError(
                        code: error.code, message: "no answer to request '\(id)': \(error.message)", requestID: id,
                        kafkaError: error.kafkaError)
                )
            }
        }
        calls.removeAll()
        expiries = Heap()
        stats.pending = 0
        return waiting
    }

    var isClosed: Bool { closedBy != nil }

    // MARK: Receiving

    /// Whether answers for `requestID` concern this client (pending or remembered).
    func knows(_ requestID: String) -> Bool { calls[requestID] != nil || remembered[requestID] != nil }

    /// A signal for `requestID` was skipped without decoding (its `request-id` header is unknown).
    mutating func countForeign() { stats.foreign += 1 }

    mutating func countUndecodable() { stats.undecodable += 1 }

    /// One signal read from the reply topic.
    mutating func receive(_ signal: Signal, envelope: SignalEnvelope, at now: ContinuousClock.Instant) -> (
        Delivery?, Disposition
    ) {
        switch signal {
        case .streamChunk(let chunk):
            return receive(chunk)
        case .providerResponse(let response):
            return receiveFinal(response.requestID, .response(response), envelope: envelope, at: now)
        case .providerError(let error):
            guard error.isFinal else {
                stats.nonFinal += 1
                return (nil, .nonFinal)
            }
            return receiveFinal(error.requestID, .error(error), envelope: envelope, at: now)
        default:
            stats.ignored += 1
            return (nil, .ignored)
        }
    }

    private mutating func receive(_ chunk: StreamChunk) -> (Delivery?, Disposition) {
        guard var call = calls[chunk.requestID] else {
            if remembered[chunk.requestID] != nil { return (nil, .staleChunk) }
            stats.foreign += 1
            return (nil, .foreign)
        }
        guard call.answer == nil else { return (nil, .staleChunk) }
        // One run per call: the first chunk's. Chunks of another call of the provider (numbered
        // from 0 again) would interleave with it by index into garbled text.
        if call.chunks.isEmpty {
            call.run = chunk.run
        } else if chunk.run != call.run {
            stats.otherRunChunks += 1
            return (nil, .otherRun)
        }
        guard call.chunks[chunk.index] == nil else { return (nil, .staleChunk) }
        call.chunks[chunk.index] = chunk
        var ready: [StreamChunk] = []
        if call.onChunk != nil {
            while let next = call.chunks[call.nextChunk] {
                ready.append(next)
                call.nextChunk += 1
            }
        }
        calls[chunk.requestID] = call
        guard let handler = call.onChunk, !ready.isEmpty else { return (nil, .chunk) }
        return (.chunks(handler, ready), .chunk)
    }

    private mutating func receiveFinal(
        _ requestID: String, _ outcome: ProviderCallResult.Outcome, envelope: SignalEnvelope,
        at now: ContinuousClock.Instant
    ) -> (Delivery?, Disposition) {
        if var call = calls[requestID] {
            if call.answer != nil {
                call.duplicates += 1
                stats.duplicates += 1
                calls[requestID] = call
                return (nil, .duplicate(count: call.duplicates))
            }
            stats.answered += 1
            let result = ProviderCallResult(
                requestID: requestID, outcome: outcome, envelope: envelope,
                chunks: call.chunks.sorted { $0.key < $1.key }.map(\.value),
                latency: now - (call.sentAt ?? call.registeredAt)
            )
            if let waiter = call.waiter {
                finish(requestID, .answered, duplicates: call.duplicates)
                return (.complete(waiter.completion, .success(result)), .answered)
            }
            call.answer = result
            calls[requestID] = call
            return (nil, .answered)
        }
        if var memory = remembered[requestID] {
            switch memory.ending {
            case .answered:
                memory.duplicates += 1
                stats.duplicates += 1
                remembered[requestID] = memory
                return (nil, .duplicate(count: memory.duplicates))
            case .gaveUp:
                // The first answer, too late; any further one is a duplicate.
                memory.ending = .answered
                stats.late += 1
                remembered[requestID] = memory
                return (nil, .late)
            }
        }
        stats.foreign += 1
        return (nil, .foreign)
    }

    // MARK: Memory

    /// Later final answers received for `requestID` (pending or remembered); `nil` when unknown.
    func duplicates(for requestID: String) -> Int? {
        calls[requestID]?.duplicates ?? remembered[requestID]?.duplicates
    }

    private mutating func finish(_ requestID: String, _ ending: Ending, duplicates: Int) {
        guard calls.removeValue(forKey: requestID) != nil else { return }
        stats.pending -= 1
        guard capacity > 0 else { return }
        serial &+= 1
        remembered[requestID] = Remembered(ending: ending, duplicates: duplicates, serial: serial)
        rememberedOrder.append((requestID, serial))
        // Oldest first; an entry whose id was reused since is already gone.
        while rememberedOrder.count > capacity, let oldest = rememberedOrder.popFirst() {
            if remembered[oldest.id]?.serial == oldest.serial { remembered.removeValue(forKey: oldest.id) }
        }
    }

    static func cancelled(_ requestID: String) -> ProviderClientError {
        ProviderClientError(
            code: .cancelled, message: "the task awaiting request '\(requestID)' was cancelled", requestID: requestID)
    }
}
