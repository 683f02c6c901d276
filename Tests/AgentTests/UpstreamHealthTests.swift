import AgentCore
import Signals
import Synchronization
import Testing

@testable import Agent

/// The upstream health probe (no broker): the status word it yields, and a change reported once.
@Suite("upstream health in the status")
struct UpstreamHealthTests {
    /// A provider whose `health()` answers what the test sets (the rest is a TestProvider).
    final class HealthScript: LLMProvider {
        let base = TestProvider(configuration: .init(name: "local"))
        let answers: Mutex<[ProviderHealth]>
        let probes = Atomic<Int>(0)
        init(_ answers: [ProviderHealth]) { self.answers = Mutex(answers) }
        var name: String { base.name }
        var supportedFeatures: Set<ProviderFeature> { base.supportedFeatures }
        func models() async throws(ProviderCallError) -> [ModelInfo] { try await base.models() }
        func complete(_ request: ProviderRequest) async throws(ProviderCallError) -> Completion {
            try await base.complete(request)
        }
        func stream(_ request: ProviderRequest) -> AsyncThrowingStream<StreamEvent, any Error> { base.stream(request) }
        func health() async -> ProviderHealth {
            probes.add(1, ordering: .relaxed)
            return answers.withLock { $0.count > 1 ? $0.removeFirst() : $0[0] }
        }
    }

    @Test func theUpstreamsHealthOverridesAClosedBreakerOnlyWhenItIsNotHealthy() {
        #expect(UpstreamHealth.status(breakerClosed: true, upstream: nil) == "healthy")
        #expect(UpstreamHealth.status(breakerClosed: true, upstream: .healthy) == "healthy")
        #expect(UpstreamHealth.status(breakerClosed: false, upstream: .healthy) == "degraded")
        #expect(UpstreamHealth.status(breakerClosed: true, upstream: .degraded) == "degraded")
        #expect(UpstreamHealth.status(breakerClosed: true, upstream: .unavailable) == "unavailable")
        #expect(UpstreamHealth.status(breakerClosed: false, upstream: .unavailable) == "unavailable")
    }

    @Test func aChangeIsReportedOnceAndTheLastAnswerKept() async throws {
        let provider = HealthScript([.healthy, .healthy, .unavailable, .unavailable, .healthy])
        let health = UpstreamHealth()
        let changes = Atomic<Int>(0)
        let probing = Task { await health.run(provider, every: .zero) { changes.add(1, ordering: .relaxed) } }
        while provider.probes.load(ordering: .relaxed) < 8 { await Task.yield() }
        probing.cancel()
        await probing.value
        #expect(changes.load(ordering: .relaxed) == 2, "healthy → unavailable → healthy")
        #expect(health.current == .healthy)
    }
}
