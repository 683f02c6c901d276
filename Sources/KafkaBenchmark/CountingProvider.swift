import AgentCore
import Signals
import Synchronization

/// Wraps the provider under the agent and counts the calls in progress, so the benchmark sees how
/// many requests wait on "the upstream" at once (the agent itself needs no hook for it).
final class CountingProvider: LLMProvider {
    private let base: any LLMProvider
    private let current = Atomic<Int>(0)
    private let peak = Atomic<Int>(0)
    private let total = Atomic<Int>(0)

    init(_ base: any LLMProvider) {
        self.base = base
    }

    /// Calls in progress now.
    var inFlight: Int { current.load(ordering: .relaxed) }
    /// Calls made so far.
    var totalCalls: Int { total.load(ordering: .relaxed) }
    /// Most calls in progress at once so far (exact, not sampled).
    var peakInFlight: Int { peak.load(ordering: .relaxed) }

    var name: String { base.name }
    var supportedFeatures: Set<ProviderFeature> { base.supportedFeatures }

    func models() async throws(ProviderCallError) -> [ModelInfo] {
        try await base.models()
    }

    func complete(_ request: ProviderRequest) async throws(ProviderCallError) -> Completion {
        enter()
        defer { current.subtract(1, ordering: .relaxed) }
        return try await base.complete(request)
    }

    func stream(_ request: ProviderRequest) -> AsyncThrowingStream<StreamEvent, any Error> {
        base.stream(request)
    }

    func upstreamRateLimit(model: String) -> UpstreamRateLimit? {
        base.upstreamRateLimit(model: model)
    }

    func health() async -> ProviderHealth {
        await base.health()
    }

    private func enter() {
        total.add(1, ordering: .relaxed)
        let now = current.add(1, ordering: .relaxed).newValue
        var known = peak.load(ordering: .relaxed)
        while now > known {
            let (exchanged, original) = peak.compareExchange(expected: known, desired: now, ordering: .relaxed)
            if exchanged { return }
            known = original
        }
    }
}
