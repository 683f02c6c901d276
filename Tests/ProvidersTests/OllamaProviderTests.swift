import AgentCore
import Foundation
import Signals
import Testing

@testable import Providers

@Suite("Ollama adapter against the fake upstream (real HTTP)", .timeLimit(.minutes(2)))
struct OllamaProviderTests {
    static func provider(_ base: String, headers: [String: String] = [:]) -> OllamaProvider {
        var configuration = HTTPProviderConfiguration(
            baseURL: base, requestTimeout: .seconds(10),
            models: [ModelInfo(id: "llama3.1:8b", contextWindow: 8_192, features: [.chat, .streaming])]
        )
        configuration.extraHeaders = headers
        return OllamaProvider(configuration: configuration)
    }

    static let request = ProviderRequest(
        requestID: "o1", messages: [.user("hello llama")], model: "llama3.1:8b", maxTokens: 64)

    @Test("chat, NDJSON stream adding up to the same text with counts, the server's models, errors")
    func chat() async throws {
        try await withFakeUpstream { base in
            let provider = Self.provider(base)
            let completion = try await provider.complete(Self.request)
            #expect(completion.content.hasPrefix("Fake ollama reply from llama3.1:8b to \"hello llama\""))
            #expect(completion.usage.completionTokens > 0)
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
            let models = try await provider.models().map(\.id)
            #expect(models.contains("llama3.1:8b") && models.contains("qwen2.5:7b"))
            #expect(await provider.health() == .healthy)

            var unknown = Self.request
            unknown.model = "nope:1b"
            do {
                _ = try await provider.complete(unknown)
                Issue.record("unknown model should fail")
            } catch let error as ProviderCallError {
                #expect(error.type == .modelUnavailable)
            }
            do {
                for try await _ in Self.provider(base, headers: ["x-fake-fault": "cut"]).stream(Self.request) {}
                Issue.record("a cut stream should fail")
            } catch let error as ProviderCallError {
                #expect(error.message.contains("cut mid-way"))
            }
        }
    }
}
