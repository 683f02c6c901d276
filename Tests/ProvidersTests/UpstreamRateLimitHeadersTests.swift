import AgentCore
import Foundation
import Signals
import Testing

@testable import Providers

@Suite("Upstream rate-limit headers")
struct UpstreamRateLimitHeadersTests {
    let now = ContinuousClock.now
    let wall = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func openAIHeaders() throws {
        let limit = try #require(
            UpstreamRateLimitTracker.parse(
                [
                    "x-ratelimit-limit-requests": "500", "x-ratelimit-remaining-requests": "7",
                    "x-ratelimit-reset-requests": "1m30s",
                    "x-ratelimit-limit-tokens": "30000", "x-ratelimit-remaining-tokens": "1200",
                    "x-ratelimit-reset-tokens": "250ms",
                ], at: now, wallNow: wall))
        #expect(limit.limitRequests == 500)
        #expect(limit.remainingRequests == 7)
        #expect(limit.requestsReset == .seconds(90))
        #expect(limit.remainingTokens == 1200)
        #expect(limit.tokensReset == .milliseconds(250))
        #expect(limit.observedAt == now)
    }

    @Test func anthropicHeaders() throws {
        let reset = ISO8601DateFormatter().string(from: wall.addingTimeInterval(12))
        let limit = try #require(
            UpstreamRateLimitTracker.parse(
                [
                    "anthropic-ratelimit-requests-limit": "50", "anthropic-ratelimit-requests-remaining": "3",
                    "anthropic-ratelimit-requests-reset": reset, "anthropic-ratelimit-tokens-remaining": "900",
                ], at: now, wallNow: wall))
        #expect(limit.limitRequests == 50)
        #expect(limit.remainingRequests == 3)
        #expect(limit.requestsReset == .seconds(12))
        #expect(limit.remainingTokens == 900)
        #expect(limit.tokensReset == nil)
    }

    @Test func noneOrUnreadable() {
        #expect(UpstreamRateLimitTracker.parse(["content-type": "application/json"], at: now, wallNow: wall) == nil)
        let garbled = UpstreamRateLimitTracker.parse(
            ["x-ratelimit-remaining-requests": "lots", "x-ratelimit-reset-requests": "soon"], at: now, wallNow: wall)
        #expect(garbled?.remainingRequests == nil)
        #expect(garbled?.requestsReset == nil)
        #expect(garbled?.isEmpty == true)
    }

    @Test("the adapter remembers the latest figures per model from a real answer")
    func trackedFromAnswers() async throws {
        try await withFakeUpstream { base in
            let provider = OpenAIProvider(
                configuration: HTTPProviderConfiguration(
                    baseURL: base, apiKey: "k", models: [ModelInfo(id: "gpt-4o", contextWindow: 128_000)]))
            #expect(provider.upstreamRateLimit(model: "gpt-4o") == nil)
            _ = try await provider.complete(
                ProviderRequest(
                    requestID: "r", messages: [ChatMessage(role: .user, content: .text("hi"))], model: "gpt-4o"))
            let limit = try #require(provider.upstreamRateLimit(model: "gpt-4o"))
            #expect(limit.remainingRequests != nil)
            #expect(provider.upstreamRateLimit(model: "gpt-4o-mini") == nil)
        }
    }
}
