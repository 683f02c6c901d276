import AgentCore
import Synchronization

/// The upstream's own health (`LLMProvider.health()`: Ollama `/api/tags`, llama.cpp `/health`),
/// probed periodically; `provider_status` reports `unavailable` / `degraded` from it even while
/// the circuit breaker, which only sees calls, is still closed (a llama.cpp server loading its
/// model answers 503 on `/health`).
final class UpstreamHealth: Sendable {
    private let last = Mutex<ProviderHealth?>(nil)

    /// The last probe's answer (`nil` before the first).
    var current: ProviderHealth? { last.withLock { $0 } }

    /// Probes every `interval` until cancelled; `changed` runs when the answer differs from the
    /// previous one (not at the first probe).
    func run(_ provider: any LLMProvider, every interval: Duration, changed: @Sendable () async -> Void) async {
        while !Task.isCancelled {
            let health = await provider.health()
            let previous = last.withLock { last in
                defer { last = health }
                return last
            }
            if let previous, previous != health { await changed() }
            try? await Task.sleep(for: interval)
        }
    }

    /// The status word: the upstream's health when it is not healthy, else the breaker's view.
    static func status(breakerClosed: Bool, upstream: ProviderHealth?) -> String {
        switch upstream {
        case .unavailable?: "unavailable"
        case .degraded?: "degraded"
        default: breakerClosed ? "healthy" : "degraded"
        }
    }
}
