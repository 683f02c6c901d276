import AgentCore
import Foundation
@testable import Providers
import Signals
import Testing

@Suite("Anthropic adapter against the fake upstream (real HTTP)", .timeLimit(.minutes(2)))
struct AnthropicProviderTests {
    static let secret = "sk-ant-test-never-printed-9"

    static func provider(_ base: String, headers: [String: String] = [:]) -> AnthropicProvider {
        var configuration = HTTPProviderConfiguration(
            baseURL: base, apiKey: secret, requestTimeout: .seconds(10),
            models: [ModelInfo(id: "claude-haiku-4-5", contextWindow: 200_000, features: [.chat, .streaming, .vision])]
        )
        configuration.extraHeaders = headers
        return AnthropicProvider(configuration: configuration)
    }

    static let request = ProviderRequest(requestID: "a1", messages: [.system("be brief"), .user("hello claude")], model: "claude-haiku-4-5", maxTokens: 64)

    static func failure(_ base: String, fault: String? = nil, request: ProviderRequest = request) async -> ProviderCallError? {
        do {
            _ = try await provider(base, headers: fault.map { ["x-fake-fault": $0] } ?? [:]).complete(request)
            return nil
        } catch {
            return error
        }
    }

    @Test("a message with the system prompt mapped; the event stream adds up to the same text with usage")
    func completeAndStream() async throws {
        try await withFakeUpstream { base in
            let provider = Self.provider(base)
            let completion = try await provider.complete(Self.request)
            #expect(completion.content.hasPrefix("Fake anthropic reply from claude-haiku-4-5 to \"hello claude\""))
            #expect(completion.finishReason == "stop")
            #expect(completion.usage.promptTokens > 0 && completion.usage.completionTokens > 0)
            var deltas: [String] = []
            var finished: Completion?
            for try await event in provider.stream(Self.request) {
                switch event {
                case .delta(let text): deltas.append(text)
                case .finished(let done): finished = done
                }
            }
            #expect(deltas.joined() == completion.content)
            #expect(finished?.usage == completion.usage)
        }
    }

    @Test("529 overloaded is retryable, 429 carries retry-after, a spend limit is not retryable, a too-long prompt never reaches the upstream")
    func errors() async throws {
        try await withFakeUpstream { base in
            let overloaded = await Self.failure(base, fault: "529")
            #expect(overloaded?.type == .overloaded)
            #expect(overloaded?.retryable == true)
            let limited = await Self.failure(base, fault: "429")
            #expect(limited?.type == .rateLimited)
            #expect(limited?.retryAfter == .seconds(1))
            let garbage = await Self.failure(base, fault: "malformed")
            #expect(garbage?.type == .providerError)
            var long = Self.request
            long.messages = [.user(String(repeating: "word ", count: 170_000))]
            let tooLong = await Self.failure(base, request: long)
            #expect(tooLong?.type == .contextLengthExceeded)
            #expect(tooLong?.message.contains("200000") == true)
            for error in [overloaded, limited, garbage, tooLong] {
                #expect(error.map { !"\($0)".contains(Self.secret) } ?? false)
            }
        }
        let spend = AnthropicProvider.error(status: 429, body: #"{"type":"error","error":{"type":"rate_limit_error","message":"You have reached your specified API usage limits (spend limit)."}}"#, headers: ["retry-after": "60"])
        #expect(spend.type == .rateLimited)
        #expect(!spend.retryable)
    }

    @Test("request body: system out of the messages, max_tokens default, images as blocks")
    func body() throws {
        var request = ProviderRequest(requestID: "b", messages: [.system("rules"), .user("hi")], model: "claude-haiku-4-5")
        request.messages.append(ChatMessage(role: .user, content: .parts([.text("see"), .image(ImageSource(type: "base64", mediaType: "image/jpeg", data: "AAAA"))])))
        let body = AnthropicProvider.body(of: request, streaming: false)
        #expect(body["system"] as? String == "rules")
        #expect(body["max_tokens"] as? Int == 1024)
        let messages = try #require(body["messages"] as? [[String: Any]])
        #expect(messages.count == 2)
        let blocks = try #require(messages[1]["content"] as? [[String: Any]])
        #expect((blocks[1]["source"] as? [String: Any])?["media_type"] as? String == "image/jpeg")
    }
}
