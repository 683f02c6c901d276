import AgentCore
import FakeUpstream
import Foundation
import Signals
import Testing

@testable import Providers

/// What an upstream can get wrong — a body that is not JSON, a truncated stream, an unknown
/// finish reason, an unknown model, no answer at all — ends as a clear classified error within the
/// request timeout, for every adapter, plain and streamed. Driven by the fake's fault script.
@Suite("Bad input from upstream", .timeLimit(.minutes(2)))
struct UpstreamBadInputTests {
    static let models = ["openai": "gpt-4o-mini", "anthropic": "claude-haiku-4-5", "ollama": "llama3.1:8b"]

    /// The model the fake serves for `provider` (one of `models`' keys).
    static func model(_ provider: String) throws -> String {
        try #require(models[provider], "no model for provider \(provider)")
    }

    static func adapter(
        _ provider: String, _ base: String, timeout: Duration = .seconds(10)
    ) throws -> any LLMProvider {
        let configuration = HTTPProviderConfiguration(
            baseURL: base, apiKey: "k", requestTimeout: timeout,
            models: [ModelInfo(id: try model(provider), contextWindow: 100_000, features: [.chat, .streaming])]
        )
        switch provider {
        case "openai": return OpenAIProvider(configuration: configuration)
        case "anthropic": return AnthropicProvider(configuration: configuration)
        default: return OllamaProvider(configuration: configuration)
        }
    }

    static func request(_ provider: String, model: String? = nil) throws -> ProviderRequest {
        let model = try model ?? Self.model(provider)
        return ProviderRequest(requestID: "bad", messages: [.user("hello")], model: model, maxTokens: 32)
    }

    /// The error of a plain call and of a streamed one.
    static func failures(_ adapter: any LLMProvider, _ request: ProviderRequest) async -> (
        plain: ProviderCallError?, streamed: ProviderCallError?
    ) {
        var plain: ProviderCallError?
        do { _ = try await adapter.complete(request) } catch { plain = error }
        var streamed: ProviderCallError?
        do {
            for try await _ in adapter.stream(request) {}
        } catch let error as ProviderCallError {
            streamed = error
        } catch {
            Issue.record("unclassified stream error \(error)")
        }
        return (plain, streamed)
    }

    static func script(_ fault: FakeFault, _ provider: String) -> FakeUpstreamConfiguration {
        FakeUpstreamConfiguration(
            faults: FaultScript(rules: [FaultRule(fault: fault, provider: FaultRule.Provider(rawValue: provider))]),
            hangTime: .seconds(8))
    }

    @Test(
        "an unknown finish / stop / done reason is a non-retryable provider_error naming it",
        arguments: ["openai", "anthropic", "ollama"])
    func unknownFinishReason(_ provider: String) async throws {
        try await withFakeUpstream(Self.script(.unknownFinishReason, provider)) { base, upstream in
            let (plain, streamed) = try await Self.failures(Self.adapter(provider, base), Self.request(provider))
            for error in [plain, streamed] {
                #expect(error?.type == .providerError)
                #expect(error?.retryable == false)
                #expect(
                    error?.message.contains("unknown") == true
                        && error?.message.contains("fake_unknown_reason") == true, "\(String(describing: error))")
            }
            #expect(upstream.stats.faults == ["unknown-finish-reason": 2])
        }
    }

    @Test(
        "a body that is not JSON is a retryable provider_error (plain: not JSON; streamed: no complete stream)",
        arguments: ["openai", "anthropic", "ollama"])
    func notJSON(_ provider: String) async throws {
        try await withFakeUpstream(Self.script(.malformed, provider)) { base, _ in
            let (plain, streamed) = try await Self.failures(Self.adapter(provider, base), Self.request(provider))
            #expect(plain?.type == .providerError)
            #expect(plain?.retryable == true)
            #expect(plain?.message.contains("not JSON") == true, "\(String(describing: plain))")
            #expect(streamed?.type == .providerError)
            #expect(streamed?.retryable == true, "\(String(describing: streamed))")
        }
    }

    @Test(
        "a stream cut mid-way is a retryable provider_error, counted as a connection failure",
        arguments: ["openai", "anthropic", "ollama"])
    func truncated(_ provider: String) async throws {
        try await withFakeUpstream(Self.script(.cut, provider)) { base, _ in
            let (_, streamed) = try await Self.failures(Self.adapter(provider, base), Self.request(provider))
            #expect(streamed?.type == .providerError)
            #expect(streamed?.retryable == true)
            #expect(streamed?.message.contains("cut mid-way") == true, "\(String(describing: streamed))")
        }
    }

    @Test("an unknown model is model_unavailable, not retryable", arguments: ["openai", "anthropic", "ollama"])
    func unknownModel(_ provider: String) async throws {
        try await withFakeUpstream(FakeUpstreamConfiguration()) { base, _ in
            let (plain, streamed) = try await Self.failures(
                Self.adapter(provider, base), Self.request(provider, model: "no-such-model")
            )
            for error in [plain, streamed] {
                #expect(error?.type == .modelUnavailable, "\(String(describing: error))")
                #expect(error?.retryable == false)
            }
        }
    }

    @Test(
        """
        an upstream that never answers, or stalls before a stream's first byte, is a timeout within the request \
        timeout
        """,
        arguments: ["openai", "anthropic", "ollama"])
    func noAnswer(_ provider: String) async throws {
        try await withFakeUpstream(Self.script(.timeout, provider)) { base, _ in
            let clock = ContinuousClock()
            let start = clock.now
            let (plain, streamed) = try await Self.failures(
                Self.adapter(provider, base, timeout: .milliseconds(400)), Self.request(provider)
            )
            #expect(plain?.type == .timeout, "\(String(describing: plain))")
            #expect(streamed?.type == .timeout, "\(String(describing: streamed))")
            // `timeout` proves the client gave up (after its 8 s hang the fake answers 504, a
            // provider_error); the time is only bounded loosely, the machine may be busy.
            #expect(clock.now - start < .seconds(60), "gave up, no hang")
        }
        try await withFakeUpstream(Self.script(.slowFirstByte, provider)) { base, _ in
            let clock = ContinuousClock()
            let start = clock.now
            let (_, streamed) = try await Self.failures(
                Self.adapter(provider, base, timeout: .milliseconds(400)), Self.request(provider)
            )
            #expect(streamed?.type == .timeout, "\(String(describing: streamed))")
            // `timeout` proves the client gave up: after its 2 s stall the fake answers the stream
            // in full, which would succeed.
            #expect(clock.now - start < .seconds(60), "gave up, no hang")
        }
    }

    @Test("a scripted 500 for the first call only: the next call succeeds; the stats count both calls")
    func scriptedCount() async throws {
        let configuration = FakeUpstreamConfiguration(
            faults: FaultScript(rules: [FaultRule(fault: .serverError, provider: .openai, budget: .count(1))]))
        try await withFakeUpstream(configuration) { base, upstream in
            let adapter = try Self.adapter("openai", base)
            let request = try Self.request("openai")
            await #expect(throws: ProviderCallError.self) { _ = try await adapter.complete(request) }
            let completion = try await adapter.complete(request)
            #expect(completion.finishReason == "stop")
            #expect(upstream.stats.requests["POST /v1/chat/completions"] == 2)
            #expect(upstream.stats.faults == ["500": 1])
        }
    }
}
