import Agent
import AgentCore
import FakeUpstream
import Foundation
import Kafka
import KafkaTestSupport
import Providers
import Signals
import Testing

/// The agent with the real OpenAI and Anthropic adapters against the fake upstream (real HTTP) on
/// Tansu, when the upstream fails or limits: the breaker opens on 5xx and recovers, a 429's
/// retry-after holds admission back, and the remaining counts of the rate-limit headers slow
/// admission before the upstream says 429.
@Suite("Agent against a failing or limiting upstream (fake upstream, Tansu)", .timeLimit(.minutes(3)))
struct AgentUpstreamResilienceTests {
    typealias Fixture = AgentIntegrationTests.Fixture

    /// An agent of the OpenAI (or Anthropic) adapter in front of `upstream`, running.
    struct Running {
        let fixture: Fixture
        let agent: ProviderAgent
        let task: Task<Void, any Error>
        let producer: KafkaProducer
        let watcher: TopicWatcher
        let model: String

        init(
            upstream: FakeUpstream.Running, anthropic: Bool = false,
            configure: (inout ProviderAgentConfiguration) -> Void = { _ in }
        ) async throws {
            var fixture = try await Fixture(partitions: 1)
            model = anthropic ? "claude-haiku-4-5" : "gpt-4o-mini"
            fixture.configuration.models = [model]
            fixture.configuration.defaultModel = model
            configure(&fixture.configuration)
            self.fixture = fixture
            let http = HTTPProviderConfiguration(
                baseURL: upstream.baseURL, apiKey: "sk-test", requestTimeout: .seconds(10),
                models: [ModelInfo(id: model, contextWindow: 200_000, features: [.chat, .streaming])]
            )
            let provider: any LLMProvider =
                anthropic
                ? AnthropicProvider(name: fixture.provider, configuration: http)
                : OpenAIProvider(name: fixture.provider, configuration: http)
            agent = try ProviderAgent(
                configuration: fixture.configuration, provider: provider, logger: AgentIntegrationTests.quietLogger)
            let agent = agent
            task = Task { try await agent.run() }
            producer = try KafkaProducer(configuration: .init(bootstrapServers: fixture.broker.bootstrapServers))
            watcher = try await TopicWatcher(
                bootstrapServers: fixture.broker.bootstrapServers,
                topics: [fixture.configuration.responseTopic, fixture.configuration.errorTopic])
        }

        func send(_ ids: [String]) async throws {
            for id in ids {
                let value =
                    #"""
                    {"type":"provider_request","data":{"request_id":"\#(id)","model":"\#(model)","max_tokens":50,\#
                    "messages":[{"role":"user","content":"hi \#(id)"}]}}
                    """#
                try await producer.send(
                    KafkaProducerMessage(topic: fixture.configuration.requestTopic, key: id, value: value))
            }
        }

        /// The final answers of `ids`, once all arrived.
        func answers(_ ids: [String]) async throws -> [String: Signal] {
            let seen = try await watcher.wait(until: "answers to \(ids)") { messages in
                let answered = Set(AgentLedgerTests.signals(messages).compactMap(\.requestID))
                return ids.allSatisfy(answered.contains)
            }
            var result: [String: Signal] = [:]
            for signal in AgentLedgerTests.signals(seen) {
                if let id = signal.requestID, ids.contains(id) { result[id] = signal }
            }
            return result
        }

        func stop() async throws {
            await watcher.close()
            await producer.close()
            agent.shutdown()
            try await task.value
        }
    }

    /// Runs `body` with an agent in front of a fake upstream made from `configuration`; the agent
    /// and the upstream are stopped whatever `body` does (a failed expectation included).
    static func withAgent(
        _ configuration: FakeUpstreamConfiguration, anthropic: Bool = false,
        configure: (inout ProviderAgentConfiguration) -> Void = { _ in },
        _ body: (Running, FakeUpstream.Running) async throws -> Void
    ) async throws {
        let upstream = try await FakeUpstream(configuration: configuration).start()
        let running: Running
        do {
            running = try await Running(upstream: upstream, anthropic: anthropic, configure: configure)
        } catch {
            await upstream.stop()
            throw error
        }
        do {
            try await body(running, upstream)
        } catch {
            try? await running.stop()
            await upstream.stop()
            throw error
        }
        try await running.stop()
        await upstream.stop()
    }

    static func error(_ signal: Signal?) -> ProviderError? {
        if case .providerError(let error)? = signal { return error }
        return nil
    }

    static func isResponse(_ signal: Signal?) -> Bool {
        if case .providerResponse? = signal { return true }
        return false
    }

    @Test("upstream 5xx open the breaker (circuit_open without calling), the probe after open_timeout closes it again")
    func breakerOpensOnServerErrorsAndRecovers() async throws {
        let configuration = FakeUpstreamConfiguration(
            faults: FaultScript(rules: [FaultRule(fault: .serverError, budget: .count(3))]))
        try await Self.withAgent(
            configuration,
            configure: {
                // Open for 10 s: long enough that the refusals below are still inside it on a busy machine
                // (CI starts every suite at once; single calls then take over a second).
                $0.breaker = CircuitBreakerPolicy(
                    consecutiveFailures: 3, openTimeout: .seconds(10), halfOpenSuccessesToClose: 1)
            }
        ) { running, upstream in
            // Three calls fail with 500 (sent one after another, so the count is exact).
            for id in ["f1", "f2", "f3"] {
                try await running.send([id])
                let failure = try #require(Self.error(try await running.answers([id])[id]), "\(id)")
                #expect(failure.errorType == .providerError)
                #expect(failure.retryable)
                #expect(failure.error.contains("(500)"), "the upstream's status: \(failure.error)")
            }
            #expect(running.agent.currentStatus.circuitBreaker.state == "open")
            // While open: refused at once, the upstream is not called.
            try await running.send(["c1", "c2"])
            let refused = try await running.answers(["c1", "c2"])
            for id in ["c1", "c2"] {
                let error = try #require(Self.error(refused[id]), "\(id)")
                #expect(error.errorType == .circuitOpen)
                #expect(error.retryable)
                #expect((error.retryAfterMs ?? 0) > 0 && (error.retryAfterMs ?? 0) <= 10_000)
            }
            #expect(upstream.stats.requests["POST /v1/chat/completions"] == 3)
            // After open_timeout a probe goes through (the upstream is healthy again) and closes the breaker.
            try await Task.sleep(for: .milliseconds(10_100))
            try await running.send(["p1"])
            #expect(Self.isResponse(try await running.answers(["p1"])["p1"]))
            try await running.send(["ok1", "ok2"])
            let after = try await running.answers(["ok1", "ok2"])
            #expect(Self.isResponse(after["ok1"]) && Self.isResponse(after["ok2"]))
            let breaker = running.agent.currentStatus.circuitBreaker
            #expect(breaker.state == "closed")
            #expect(
                breaker.recentTransitions?.map { "\($0.from)>\($0.to)" } == [
                    "closed>open", "open>half_open", "half_open>closed",
                ])
            #expect(upstream.stats.requests["POST /v1/chat/completions"] == 6)
        }
    }

    @Test(
        "a 429's retry-after holds the model back: requests meanwhile are refused without calling, then admitted again")
    func retryAfterIsHonoured() async throws {
        let configuration = FakeUpstreamConfiguration(
            // 12 s: long enough that the requests below are still inside it on a busy machine (CI
            // starts every suite at once; single calls then take over a second).
            faults: FaultScript(rules: [FaultRule(fault: .tooManyRequests, budget: .count(1))]), retryAfterSeconds: 12
        )
        try await Self.withAgent(configuration, anthropic: true) { running, upstream in
            try await running.send(["r1"])
            let limited = try #require(Self.error(try await running.answers(["r1"])["r1"]))
            #expect(limited.errorType == .rateLimited)
            #expect(limited.retryable)
            #expect(limited.retryAfterMs == 12_000, "retry-after from the upstream's header")
            try await running.send(["r2", "r3", "r4"])
            let held = try await running.answers(["r2", "r3", "r4"])
            for id in ["r2", "r3", "r4"] {
                let error = try #require(Self.error(held[id]), "\(id)")
                #expect(error.errorType == .rateLimited)
                let status = error.error.firstMatch(of: /the upstream answered (\d+)/).flatMap { Int($0.1) }
                #expect(status == 429, "\(error.error)")
                #expect((error.retryAfterMs ?? 0) > 0 && (error.retryAfterMs ?? 0) <= 12_000)
            }
            #expect(upstream.stats.requests["POST /v1/messages"] == 1, "nothing sent while held back")
            try await Task.sleep(for: .milliseconds(12_100))
            try await running.send(["r5"])
            #expect(Self.isResponse(try await running.answers(["r5"])["r5"]))
            #expect(upstream.stats.requests["POST /v1/messages"] == 2)
        }
    }

    @Test("the upstream's remaining count slows admission before it would answer 429", arguments: [false, true])
    func remainingCountSlowsAdmission(anthropic: Bool) async throws {
        // The account allows 5 requests per model per 5 minutes (the test never waits for the
        // window, and on a machine loaded by every other suite one run took over a minute: a
        // 20-s window rolled over and served 9); 12 requests arrive at once (taken one at a
        // time, so each admission sees the headers of the answer before).
        let configuration = FakeUpstreamConfiguration(
            accountLimit: FakeAccountLimit(requestsPerWindow: 5, window: .seconds(300)))
        try await Self.withAgent(configuration, anthropic: anthropic, configure: { $0.maxInFlight = 1 }) {
            running, upstream in
            // One call first, so the agent has seen the headers (remaining 4).
            try await running.send(["w0"])
            #expect(Self.isResponse(try await running.answers(["w0"])["w0"]))
            let ids = (1...11).map { "q\($0)" }
            try await running.send(ids)
            let answers = try await running.answers(ids)
            let served = ids.filter { Self.isResponse(answers[$0]) }
            let refused = ids.compactMap { Self.error(answers[$0]) }
            #expect(served.count == 4, "the 4 left in the window: \(served)")
            #expect(refused.count == 7)
            for error in refused {
                #expect(error.errorType == .rateLimited)
                #expect(error.retryable)
                #expect(error.error.contains("the upstream reports"), "\(error.error)")
                // Anthropic's reset is a time in whole seconds (rounded up): up to a second later.
                #expect((error.retryAfterMs ?? 0) > 0 && (error.retryAfterMs ?? 0) <= (anthropic ? 301_000 : 300_000))
            }
            #expect(
                upstream.stats.faults["429"] == nil, "the upstream never had to answer 429: \(upstream.stats.faults)")
        }
    }

    @Test(
        """
        bad upstream answers and bad input end to end: each a provider_error with the right error_type, the \
        partition keeps going
        """
    )
    func badAnswersEndToEnd() async throws {
        let configuration = FakeUpstreamConfiguration(
            faults: FaultScript(rules: [
                FaultRule(fault: .malformed, budget: .count(1)),
                FaultRule(fault: .unknownFinishReason, budget: .count(1)),
                FaultRule(fault: .cut, budget: .count(1)),
            ]))
        try await Self.withAgent(
            configuration,
            configure: {
                // The agent serves a model the upstream does not know, too.
                $0.models = ["gpt-4o-mini", "gpt-9-unknown"]
                $0.maxInFlight = 1
            }
        ) { running, upstream in
            let requests = [
                (
                    "malformed",
                    #"""
                    {"type":"provider_request","data":{"request_id":"malformed","messages":[{"role":"user",\#
                    "content":"hi"}]}}
                    """#
                ),
                (
                    "unknown-finish",
                    #"""
                    {"type":"provider_request","data":{"request_id":"unknown-finish","messages":[{"role":"user",\#
                    "content":"hi"}]}}
                    """#
                ),
                (
                    "cut",
                    #"""
                    {"type":"stream_request","data":{"request_id":"cut","messages":[{"role":"user","content":\#
                    "hi"}]}}
                    """#
                ),
                (
                    "unknown-model",
                    #"""
                    {"type":"provider_request","data":{"request_id":"unknown-model","model":"gpt-9-unknown",\#
                    "messages":[{"role":"user","content":"hi"}]}}
                    """#
                ),
                (
                    "bad-image",
                    #"""
                    {"type":"vision_request","data":{"request_id":"bad-image","messages":[{"role":"user",\#
                    "content":[{"type":"text","text":"what is \#
                    it?"},{"type":"image","source":{"type":"base64","media_type":"image/tiff","data":"AAAA"}}]}]}}
                    """#
                ),
                (
                    "fine",
                    #"""
                    {"type":"provider_request","data":{"request_id":"fine","messages":[{"role":"user","content":\#
                    "hi"}]}}
                    """#
                ),
            ]
            for (id, value) in requests {
                try await running.producer.send(
                    KafkaProducerMessage(topic: running.fixture.configuration.requestTopic, key: id, value: value))
            }
            let answers = try await running.answers(requests.map(\.0))
            let expected: [(String, ProviderErrorType, String)] = [
                ("malformed", .providerError, "not JSON"),
                ("unknown-finish", .providerError, "fake_unknown_reason"),
                ("cut", .providerError, "cut mid-way"),
                ("unknown-model", .modelUnavailable, "404"),
                ("bad-image", .invalidRequest, "image/tiff"),
            ]
            for (id, type, part) in expected {
                let error = try #require(Self.error(answers[id]), "\(id): \(String(describing: answers[id]))")
                #expect(error.errorType == type, "\(id): \(error.errorType)")
                #expect(error.error.localizedCaseInsensitiveContains(part), "\(id): \(error.error)")
            }
            #expect(Self.isResponse(answers["fine"]))
            #expect(
                upstream.stats.requests["POST /v1/chat/completions"] == 5, "the bad image never reached the upstream")
        }
    }
}
