import AgentCore
import Common
import Testing

@Suite("Metrics")
struct ProviderMetricsTests {
    @Test("percentiles of known data: 1...1000 ms")
    func percentiles() {
        var histogram = LatencyHistogram()
        for millisecond in 1...1000 { histogram.record(.milliseconds(millisecond)) }
        let summary = histogram.summary
        #expect(summary.count == 1000)
        // HDR histogram with 3 significant digits: within 0.1%.
        #expect(abs(summary.p50 - 500) <= 0.5)
        #expect(abs(summary.p90 - 900) <= 0.9)
        #expect(abs(summary.p99 - 990) <= 1.0)
        #expect(abs(summary.max - 1000) <= 1.0)
    }

    @Test("a skewed distribution: p99 sees the tail, p50 does not")
    func skewed() {
        var histogram = LatencyHistogram()
        for _ in 0..<980 { histogram.record(.milliseconds(10)) }
        for _ in 0..<20 { histogram.record(.seconds(2)) }
        let summary = histogram.summary
        #expect(abs(summary.p50 - 10) < 0.1)
        #expect(abs(summary.p90 - 10) < 0.1)
        #expect(abs(summary.p99 - 2000) <= 2)
        #expect(LatencyHistogram().summary.count == 0)
    }

    @Test("counts, success rate, tokens and cost, overall and per model")
    func totals() throws {
        var metrics = ProviderMetrics(
            prices: PriceTable([
                "gpt-4o": .init(inputPerMillion: 2.5, outputPerMillion: 10),
                "gpt-4o-mini": .init(inputPerMillion: 0.15, outputPerMillion: 0.6),
            ]))
        metrics.record(
            .init(
                model: "gpt-4o-2024-08-06", succeeded: true, latency: .milliseconds(100), promptTokens: 1000,
                completionTokens: 500))
        metrics.record(
            .init(
                model: "gpt-4o-mini", succeeded: true, latency: .milliseconds(50), promptTokens: 2_000_000,
                completionTokens: 0))
        metrics.record(.init(model: "gpt-4o-mini", succeeded: false, errorType: "timeout", latency: .seconds(30)))
        metrics.record(.init(model: "llama3", succeeded: false, errorType: "rate_limited"))
        metrics.recordLedgerRepeat()

        #expect(metrics.overall.total == 4)
        #expect(metrics.overall.successful == 2)
        #expect(metrics.overall.failed == 2)
        #expect(metrics.overall.successRate == 0.5)
        #expect(metrics.overall.promptTokens == 2_001_000)
        #expect(metrics.overall.completionTokens == 500)
        // gpt-4o prefix: 1000 × 2.5/1M + 500 × 10/1M = 0.0075; mini exact: 2M × 0.15/1M = 0.30
        let gpt4o = try #require(metrics.byModel["gpt-4o-2024-08-06"])
        let mini = try #require(metrics.byModel["gpt-4o-mini"])
        #expect(abs(gpt4o.costUSD - 0.0075) < 1e-12)
        #expect(abs(mini.costUSD - 0.30) < 1e-12)
        #expect(abs(metrics.overall.costUSD - 0.3075) < 1e-12)
        #expect(metrics.byModel["llama3"]?.costUSD == 0, "unpriced model")
        #expect(metrics.overall.failuresByType == ["timeout": 1, "rate_limited": 1])
        #expect(mini.successRate == 0.5)
        #expect(metrics.overall.latency.count == 3, "a rejection without latency is not in the histogram")
        #expect(metrics.ledgerRepeats == 1)
        #expect(ProviderMetrics().overall.successRate == 1)
    }
}
