import AgentCore
import Foundation
import Kafka
import Signals
import Synchronization
import Testing
import WorkerRuntime

@testable import Agent

/// The agent's every rule without a broker: the real ``AgentHandler`` in an `InProcessWorker`
/// (outputs, message ends and the ledger in memory, a manual clock). Milliseconds each.
@Suite("Agent pipeline in process")
struct AgentPipelineTests {
    static let provider = "p"

    /// Holds provider calls until opened.
    final class Gate: Sendable {
        private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))
        func wait() async {
            await withCheckedContinuation { continuation in
                let open = state.withLock { state -> Bool in
                    if !state.open { state.waiters.append(continuation) }
                    return state.open
                }
                if open { continuation.resume() }
            }
        }
        func open() {
            let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
                state.open = true
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters { waiter.resume() }
        }
        var waiting: Int { state.withLock { $0.waiters.count } }
    }

    static func configuration(_ change: (inout ProviderAgentConfiguration) -> Void = { _ in })
        -> ProviderAgentConfiguration
    {
        var configuration = ProviderAgentConfiguration(
            provider: provider, instanceID: "i1", bootstrapServers: "unused:9092", models: ["test-model"],
            defaultModel: "test-model"
        )
        change(&configuration)
        return configuration
    }

    static func worker(
        _ configuration: ProviderAgentConfiguration = configuration(),
        provider: TestProvider = TestProvider(configuration: .init(name: provider))
    ) -> InProcessWorker<AgentHandler> {
        let handler = AgentHandler(configuration: configuration, provider: provider, logger: .init(label: "test"))
        return InProcessWorker(
            handler: handler, name: configuration.source,
            journal: JournalConfiguration(topic: configuration.ledgerTopic))
    }

    static func request(_ id: String, type: String = "provider_request", extra: String = "") -> [UInt8] {
        Array(
            #"""
            {"type":"\#(type)","data":{"request_id":"\#(id)","messages":[{"role":"user","content":"hi \#
            \#(id)"}]\#(extra)}}
            """#
            .utf8)
    }

    static func signals(_ messages: [KafkaProducerMessage]) -> [Signal] {
        messages.compactMap { try? SignalEnvelope.decode($0.value).signal }
    }

    static let requests = "llm.requests.p"

    @Test(
        """
        a request is answered once; its copy delivered while the call runs waits for it: one provider call, two \
        answers
        """
    )
    func copyInFlightWaits() async throws {
        let gate = Gate()
        let provider = TestProvider(configuration: .init(name: Self.provider, latency: .fixed(.milliseconds(1)))) { _ in
            await gate.wait()
        }
        let worker = Self.worker(provider: provider)
        await worker.run { worker in
            worker.deliver(topic: Self.requests, value: Self.request("r1"))
            while gate.waiting == 0 { await Task.yield() }
            worker.deliver(topic: Self.requests, value: Self.request("r1"))
            gate.open()
            await worker.settle()
        }
        #expect(provider.calls(for: "r1") == 1, "the copy waited instead of calling again")
        let answers = Self.signals(worker.published(to: "llm.responses"))
        #expect(answers.count == 2)
        #expect(answers.allSatisfy { if case .providerResponse(let r) = $0 { r.requestID == "r1" } else { false } })
        #expect(worker.journalCounters.waited == 1)
        #expect(worker.ends[TopicPartition(topic: Self.requests, partition: 0)] == [0: .finished, 1: .finished])
    }

    @Test(
        """
        a resend after the answer is answered from the ledger, also after a restart; a started-only record is a \
        counted recall
        """
    )
    func resendsAndRestarts() async throws {
        let provider = TestProvider(configuration: .init(name: Self.provider))
        let worker = Self.worker(provider: provider)
        await worker.run { worker in
            worker.deliver(topic: Self.requests, value: Self.request("r1"))
            await worker.settle()
            worker.deliver(topic: Self.requests, value: Self.request("r1"))
            await worker.settle()
            worker.restart()
            worker.deliver(topic: Self.requests, value: Self.request("r1"))
            await worker.settle()
            worker.deliver(topic: Self.requests, value: Self.request("r1", extra: #","attempt":2"#))
            await worker.settle()
        }
        #expect(provider.calls(for: "r1") == 2, "attempt 1 once, attempt 2 once")
        let responses = Self.signals(worker.published(to: "llm.responses"))
        #expect(responses.count == 4)
        let texts = responses.compactMap { if case .providerResponse(let r) = $0 { r.response } else { nil } }
        #expect(Set(texts.prefix(3)).count == 1, "the same answer, byte for byte, for every copy of attempt 1")
        #expect(worker.handler.status.metrics.ledgerRepeats == 2, "one replay before the restart, one after")
        #expect(worker.journalCounters.replays == 1, "counted per process: the restarted one replayed once")
        let records = worker.journalRecords()
        #expect(records.map(\.state) == [.started, .done, .started, .done])
        #expect(records.map(\.key.attempt) == [1, 1, 2, 2])
    }

    @Test("a call cut by a crash after started reaches the provider again, counted as a recall")
    func recall() async throws {
        let gate = Gate()
        let provider = TestProvider(configuration: .init(name: Self.provider, latency: .fixed(.milliseconds(1)))) { _ in
            await gate.wait()
        }
        let worker = Self.worker(provider: provider)
        await worker.run { worker in
            worker.deliver(topic: Self.requests, value: Self.request("r1"))
            while gate.waiting == 0 { await Task.yield() }
            worker.restart()
            gate.open()
            await worker.settle()
            worker.deliver(topic: Self.requests, value: Self.request("r1"))
            await worker.settle()
        }
        let status = worker.handler.status
        #expect(status.metrics.providerRecalls == 1)
        #expect(provider.calls(for: "r1") == 2)
    }

    @Test("admission: an expired request, an unknown model and an open breaker are refused at once, without a call")
    func admission() async throws {
        let provider = TestProvider(configuration: .init(name: Self.provider))
        provider.script([.serverError("boom"), .serverError("boom")])
        let configuration = Self.configuration {
            $0.breaker = CircuitBreakerPolicy(consecutiveFailures: 2, openTimeout: .seconds(60))
        }
        let worker = Self.worker(configuration, provider: provider)
        let started = ContinuousClock.now
        await worker.run { worker in
            worker.deliver(
                topic: Self.requests, value: Self.request("late", extra: #","expires_at":"2020-01-01T00:00:00Z""#))
            worker.deliver(topic: Self.requests, value: Self.request("unknown", extra: #","model":"gpt-9""#))
            for id in ["f1", "f2", "blocked"] {
                worker.deliver(topic: Self.requests, value: Self.request(id))
                await worker.settle()
            }
        }
        let errors = Dictionary(
            uniqueKeysWithValues: Self.signals(worker.published(to: "llm.errors")).compactMap {
                signal -> (String, ProviderError)? in
                if case .providerError(let error) = signal { (error.requestID, error) } else { nil }
            })
        #expect(errors["late"]?.errorType == .deadlineExceeded)
        #expect(errors["unknown"]?.errorType == .modelUnavailable)
        #expect(errors["f1"]?.errorType == .providerError && errors["f2"]?.errorType == .providerError)
        #expect(errors["blocked"]?.errorType == .circuitOpen && errors["blocked"]?.retryable == true)
        // The breaker opened within this test, 60 s before it closes: what is left of that when
        // "blocked" was refused lies between 60 s less the test's duration so far, and 60 s.
        let elapsedMs = Int((ContinuousClock.now - started) / .milliseconds(1)) + 1
        let retryAfterMs = errors["blocked"]?.retryAfterMs ?? 0
        #expect(
            (60_000 - elapsedMs...60_000).contains(retryAfterMs),
            "retry_after_ms \(retryAfterMs), the test took \(elapsedMs) ms")
        #expect(provider.totalCalls == 2, "refusals never reach the provider")
        #expect(
            worker.journalRecords().filter { $0.key.requestID == "blocked" }.isEmpty,
            "a refusal writes nothing to the ledger")
    }

    @Test(
        """
        streaming: chunks numbered from 0 with one run id, the last one done; the call after a crash mid-stream is \
        another run
        """
    )
    func streaming() async throws {
        let gate = Gate()
        let sleeps = Mutex(0)
        // The first chunk of the first call goes out; then the provider hangs until the gate opens.
        let provider = TestProvider(
            configuration: .init(name: Self.provider, latency: .fixed(.milliseconds(4)), streamChunks: 4)
        ) { _ in
            if sleeps.withLock({ count in
                count += 1
                return count
            }) > 1 {
                await gate.wait()
            }
        }
        let worker = Self.worker(provider: provider)
        await worker.run { worker in
            worker.deliver(topic: Self.requests, value: Self.request("s1", type: "stream_request"))
            while gate.waiting == 0 || worker.published(to: "llm.responses").isEmpty { await Task.yield() }
            worker.restart()
            worker.deliver(topic: Self.requests, value: Self.request("s1", type: "stream_request"))
            while gate.waiting < 2 { await Task.yield() }
            gate.open()
            await worker.settle()
        }
        let published = Self.signals(worker.published(to: "llm.responses"))
        let chunks = published.compactMap { signal -> StreamChunk? in
            if case .streamChunk(let chunk) = signal { chunk } else { nil }
        }
        let runs = Dictionary(grouping: chunks, by: { $0.run ?? "" })
        #expect(!runs.keys.contains(""), "every chunk names its run")
        #expect(runs.count == 2, "two provider calls, two runs")
        let cut = try #require(runs.values.first { !$0.contains(where: \.done) })
        let whole = try #require(runs.values.first { $0.contains(where: \.done) })
        #expect(cut.map(\.index) == [0], "the first call got one chunk out before the crash")
        #expect(whole.map(\.index) == Array(0..<whole.count), "the second call numbers its chunks from 0 again")
        #expect(
            whole.map(\.done) == Array(repeating: false, count: whole.count - 1) + [true], "only its last chunk is done"
        )
        let responses = published.compactMap { signal -> ProviderResponse? in
            if case .providerResponse(let response) = signal { response } else { nil }
        }
        #expect(
            responses.count == 1 && responses.first?.run == whole.first?.run,
            "the answer names the run that produced it")
        #expect(whole.map(\.delta).joined() == responses.first?.response)
    }

    @Test(
        """
        rate limit: beyond the instance's share of the provider-wide limit, refused with rate_limited and a \
        retry_after, no call
        """
    )
    func rateLimit() async throws {
        let provider = TestProvider(configuration: .init(name: Self.provider))
        let configuration = Self.configuration {
            $0.rateLimit = RateLimitPolicy(strategy: .slidingWindow, requestsPerWindow: 3, window: .seconds(60))
        }
        let worker = Self.worker(configuration, provider: provider)
        await worker.run { worker in
            for n in 0..<5 {
                worker.deliver(topic: Self.requests, value: Self.request("r\(n)"))
                await worker.settle()
            }
        }
        #expect(provider.totalCalls == 3)
        let refused = Self.signals(worker.published(to: "llm.errors")).compactMap { signal -> ProviderError? in
            if case .providerError(let error) = signal { error } else { nil }
        }
        #expect(refused.map(\.requestID) == ["r3", "r4"])
        #expect(refused.allSatisfy { $0.errorType == .rateLimited && $0.retryable && ($0.retryAfterMs ?? 0) > 0 })
    }

    @Test(
        """
        safety: a stream whose text turns blocked stops its chunks and ends with content_blocked; no more chunks \
        after it
        """
    )
    func safetyStopsAStream() async throws {
        let provider = TestProvider(configuration: .init(name: Self.provider, streamChunks: 4))
        let handler = AgentHandler(
            configuration: Self.configuration(), provider: provider, logger: .init(label: "test"))
        // The echo answer names the model; the prompt does not: only the answer is blocked.
        let configured = handler.apply(ConfigureSafety(blockedTerms: ["test-model"]))
        guard case .success = configured else {
            Issue.record("safety settings refused: \(configured)")
            return
        }
        let worker = InProcessWorker(
            handler: handler, name: "agent/p/i1", journal: JournalConfiguration(topic: "llm.ledger.p"))
        await worker.run { worker in
            worker.deliver(
                topic: Self.requests,
                value: Array(
                    #"{"type":"stream_request","data":{"request_id":"s1","messages":[{"role":"user","content":"hi"}]}}"#
                        .utf8))
            await worker.settle()
        }
        let published = Self.signals(worker.published)
        let error = published.compactMap { if case .providerError(let error) = $0 { error } else { nil } }.first
        #expect(error?.errorType == .contentBlocked, "\(published)")
        let chunks = published.compactMap { if case .streamChunk(let chunk) = $0 { chunk } else { nil } }
        #expect(!chunks.isEmpty, "the stream began before the blocked term appeared")
        #expect(!chunks.contains { $0.done }, "a blocked stream has no closing chunk")
        #expect(!chunks.map(\.delta).joined().contains("test-model"), "the blocked text never went out")
        #expect(provider.totalCalls == 1)
    }

    @Test(
        """
        bad input: a readable id gets invalid_request naming the field; no id, or one that is not UTF-8, goes to \
        the dead-letter topic
        """
    )
    func badInput() async throws {
        let worker = Self.worker()
        await worker.run { worker in
            worker.deliver(
                topic: Self.requests,
                value: Array(#"{"type":"provider_request","data":{"request_id":"b1","messages":"no"}}"#.utf8))
            worker.deliver(
                topic: Self.requests, value: Array("{not json".utf8),
                headers: [KafkaHeader(key: "request-id", value: "b2")])
            worker.deliver(topic: Self.requests, value: Array("{not json".utf8))
            worker.deliver(
                topic: Self.requests, value: Array("{not json".utf8),
                headers: [KafkaHeader(key: "request-id", value: [0x62, 0xFF, 0x33])])
            await worker.settle()
        }
        let errors = Self.signals(worker.published(to: "llm.errors")).compactMap { signal -> ProviderError? in
            if case .providerError(let error) = signal { error } else { nil }
        }
        #expect(errors.map(\.requestID) == ["b1", "b2"])
        #expect(errors.first?.field == "data.messages")
        let ends = worker.ends[TopicPartition(topic: Self.requests, partition: 0)] ?? [:]
        guard case .deadLettered(let code, _)? = ends[2], case .deadLettered(let badID, _)? = ends[3] else {
            Issue.record("messages without a usable id are dead-lettered: \(ends)")
            return
        }
        #expect(code == "invalidJSON")
        #expect(badID == "invalidRequestID", "an id its sender could not match is never answered under a mangled name")
    }

    @Test("an answer its reply topic refuses goes to the error topic, naming the problem")
    func refusedReplyTopic() async throws {
        let worker = Self.worker()
        await worker.run { worker in
            worker.refuse(topic: "missing.replies", with: KafkaError(code: .unknownTopic, message: "unknown topic"))
            worker.deliver(topic: Self.requests, value: Self.request("r1", extra: #","reply_to":"missing.replies""#))
            await worker.settle()
        }
        let errors = Self.signals(worker.published(to: "llm.errors")).compactMap { signal -> ProviderError? in
            if case .providerError(let error) = signal { error } else { nil }
        }
        #expect(errors.count == 1 && errors.first?.error.contains("missing.replies") == true)
        #expect(worker.ends[TopicPartition(topic: Self.requests, partition: 0)]?[0] == .finished)
    }
}
