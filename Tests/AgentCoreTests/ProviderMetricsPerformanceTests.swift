import AgentCore
import Testing

/// Per-model performance: tokens per second (the upstream's generation time when reported, else
/// the call latency) and the last load time.
@Suite("Metrics: tokens per second and load time")
struct ProviderMetricsPerformanceTests {
    @Test func tokensPerSecondUseTheGenerationTimeWhenReportedElseTheLatency() {
        var metrics = ProviderMetrics()
        #expect(metrics.overall.tokensPerSecond == nil)
        // 100 tokens generated in 0.5 s (the call took 2 s, incl. the prompt and the load).
        metrics.record(
            .init(
                model: "llama3.1:8b", succeeded: true, latency: .seconds(2), completionTokens: 100,
                generationTime: .milliseconds(500)))
        #expect(metrics.byModel["llama3.1:8b"]?.tokensPerSecond == 200)
        // No generation time reported: 30 tokens over a 1 s call.
        metrics.record(.init(model: "qwen2.5:7b", succeeded: true, latency: .seconds(1), completionTokens: 30))
        #expect(metrics.byModel["qwen2.5:7b"]?.tokensPerSecond == 30)
        // Failures and empty completions do not dilute the rate.
        metrics.record(.init(model: "qwen2.5:7b", succeeded: false, errorType: "timeout", latency: .seconds(10)))
        metrics.record(.init(model: "qwen2.5:7b", succeeded: true, latency: .seconds(3), completionTokens: 0))
        #expect(metrics.byModel["qwen2.5:7b"]?.tokensPerSecond == 30)
        // Overall: 130 tokens over 1.5 s.
        #expect(abs((metrics.overall.tokensPerSecond ?? 0) - 130 / 1.5) < 1e-9)
    }

    @Test func theLastLoadTimeIsKeptPerModel() {
        var metrics = ProviderMetrics()
        #expect(metrics.byModel["mistral:7b"]?.lastLoadTime == nil)
        metrics.recordLoad(model: "mistral:7b", duration: .milliseconds(2350))
        metrics.recordLoad(model: "mistral:7b", duration: .milliseconds(50))
        metrics.recordLoad(model: "qwen2.5:7b", duration: .seconds(4))
        #expect(metrics.byModel["mistral:7b"]?.lastLoadTime == .milliseconds(50))
        #expect(metrics.byModel["mistral:7b"]?.loads == 2)
        #expect(metrics.byModel["qwen2.5:7b"]?.lastLoadTime == .seconds(4))
        #expect(metrics.overall.loads == 3)
        // A load is not a request.
        #expect(metrics.overall.total == 0)
    }
}
