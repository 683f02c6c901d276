import Foundation
import Signals
import Testing

@Suite("Signals: provider_status, old and new shapes")
struct ProviderStatusTests {
    @Test("the seed's status still decodes; the new members are absent")
    func seedShape() throws {
        let envelope = try SignalEnvelope.decode(bytes(SignalExamples.providerStatus))
        guard case .providerStatus(let status) = envelope.signal else {
            Issue.record("wrong case")
            return
        }
        #expect(status.provider == "openai")
        #expect(status.rateLimiter.providerLimit == 100)
        #expect(status.metrics.p99LatencyMs == 2210)
        #expect(status.circuitBreaker.transitions == nil && status.circuitBreaker.recentTransitions == nil)
        #expect(
            status.rateLimiter.share == nil && status.rateLimiter.strategy == nil
                && status.rateLimiter.tokensLimit == nil)
        #expect(
            status.metrics.p90LatencyMs == nil && status.metrics.errorsByType == nil
                && status.metrics.ledgerRepeats == nil)
        #expect(
            status.modelMetrics == nil && status.ownedPartitions == nil && status.configVersion == nil
                && status.uptimeMs == nil)
        // Encoding does not add members that were absent.
        #expect(try parsed(envelope.encoded()) == parsed(bytes(SignalExamples.providerStatus)))
        // The minimal required shape (the original protocol's) decodes too.
        let minimal =
            #"""
            {"type":"provider_status","data":{"provider":"anthropic","status":"healthy","circuit_breaker":\#
            {"state":"closed","failure_count":0},"rate_limiter":{"limit":10,"window_ms":1000,"current_count":0},\#
            "metrics":{"total_requests":0,"success_rate":1}}}
            """#
        #expect(try SignalEnvelope.decode(bytes(minimal)).type == .providerStatus)
    }

    @Test("a status with every new member decodes into typed fields and round-trips")
    func fullShape() throws {
        let envelope = try SignalEnvelope.decode(bytes(SignalExamples.providerStatusFull))
        guard case .providerStatus(let status) = envelope.signal else {
            Issue.record("wrong case")
            return
        }
        #expect(status.circuitBreaker.transitions == 2)
        #expect(
            status.circuitBreaker.recentTransitions == [
                .init(
                    at: "2026-11-27T01:59:30.120Z", from: "closed", to: "open",
                    reason: "5 consecutive failures (last: upstream_5xx)"),
                .init(
                    at: "2026-11-27T02:00:00.125Z", from: "open", to: "half_open",
                    reason: "open timeout of 30 s elapsed"),
            ])
        #expect(
            status.rateLimiter
                == ProviderStatus.RateLimiter(
                    limit: 300, windowMs: 60000, currentCount: 41, providerLimit: 600,
                    tokensLimit: 45000, providerTokensLimit: 90000, share: 0.5,
                    strategy: "sliding_window"))
        let metrics = status.metrics
        #expect(metrics.p90LatencyMs == 1450.5)
        #expect(metrics.maxLatencyMs == 4020.75)
        #expect(metrics.promptTokens == 61000)
        #expect(metrics.completionTokens == 37000)
        #expect(metrics.rejectedRequests == 14)
        #expect(metrics.ledgerRepeats == 3)
        #expect(metrics.providerRecalls == 1)
        #expect(metrics.errorsByType == ["rate_limited": 10, "timeout": 4, "provider_error": 16])
        #expect(status.modelMetrics?.keys.sorted() == ["gpt-4o", "gpt-4o-mini"])
        #expect(status.modelMetrics?["gpt-4o"]?.errorsByType == ["timeout": 4, "provider_error": 11])
        #expect(status.modelMetrics?["gpt-4o-mini"] == ProviderStatus.Metrics(totalRequests: 1000, successRate: 0.985))
        #expect(status.ownedPartitions == [0, 2, 5])
        #expect(status.configVersion == 7)
        #expect(status.uptimeMs == 86_400_000)
        #expect(status.requestID == nil)

        let encoded = try envelope.encoded()
        #expect(try parsed(encoded) == parsed(bytes(SignalExamples.providerStatusFull)))
        #expect(try SignalEnvelope.decode(encoded) == envelope)
    }

    @Test("a status built in Swift with the old initializers and the new members round-trips")
    func builtInSwift() throws {
        // The pre-existing initializer calls still compile and mean the same.
        var status = ProviderStatus(
            provider: "local", status: "healthy",
            circuitBreaker: .init(state: "closed", failureCount: 0),
            rateLimiter: .init(limit: 5, windowMs: 1000, currentCount: 1, providerLimit: 10),
            metrics: .init(totalRequests: 3, successRate: 1, p50LatencyMs: 12, totalCostUSD: 0),
            instance: "a", requestID: "st-2")
        #expect(status.uptimeMs == nil)
        status.circuitBreaker.transitions = 0
        status.rateLimiter.share = 0.25
        status.metrics.errorsByType = [:]
        status.modelMetrics = ["llama3.2:3b": .init(totalRequests: 3, successRate: 1, maxLatencyMs: 30)]
        status.ownedPartitions = [3]
        status.configVersion = 0
        status.uptimeMs = 1500
        let envelope = SignalEnvelope(.providerStatus(status), source: "agent/local/a")
        let text = String(decoding: try envelope.encoded(), as: UTF8.self)
        #expect(text.contains(#""owned_partitions":[3]"#))
        #expect(
            text.contains(#""model_metrics":{"llama3.2:3b":{"max_latency_ms":30,"success_rate":1,"total_requests":3}}"#)
        )
        #expect(text.contains(#""share":0.25"#))
        #expect(try SignalEnvelope.decode(envelope.encoded()) == envelope)
    }

    @Test("the full status example is in docs/signals.md")
    func fullStatusDocumented() throws {
        let expected = try parsed(bytes(SignalExamples.providerStatusFull))
        #expect(try DocsExamplesTests.jsonBlocks().contains { try parsed(bytes($0)) == expected })
    }
}
