import Common
import Synchronization

/// What a running fake upstream changes as it serves: the fault script with its budgets, the
/// latency and its generator, request and fault counts. Shared by all copies of a
/// ``FakeUpstream``; set from configuration at start, changed at runtime over `/fake/*`.
final class FakeUpstreamState: Sendable {
    private struct Values: Sendable {
        var run: FaultScript.Run
        var latency: FakeLatency
        var random: SplitMix64
        var requests: [String: Int] = [:]
        var faults: [String: Int] = [:]
    }

    private let values: Mutex<Values>

    init(faults: FaultScript, latency: FakeLatency) {
        values = Mutex(Values(run: FaultScript.Run(faults), latency: latency, random: SplitMix64(seed: latency.seed)))
    }

    /// The script's fault for a request (its budgets advance).
    func scriptedFault(provider: FaultRule.Provider, model: String) -> FakeFault? {
        values.withLock { $0.run.decide(provider: provider, model: model) }
    }

    /// The next latency draw.
    func nextLatency() -> Duration {
        values.withLock { $0.latency.distribution.sample(&$0.random) }
    }

    func countRequest(_ route: String) { values.withLock { $0.requests[route, default: 0] += 1 } }

    func countFault(_ fault: FakeFault) { values.withLock { $0.faults[fault.rawValue, default: 0] += 1 } }

    /// Replaces the script; budgets start afresh.
    func setFaults(_ script: FaultScript) { values.withLock { $0.run = FaultScript.Run(script) } }

    /// Replaces the latency; its generator starts afresh from the seed.
    func setLatency(_ latency: FakeLatency) {
        values.withLock {
            $0.latency = latency
            $0.random = SplitMix64(seed: latency.seed)
        }
    }

    var faultsJSON: [String: Any] { values.withLock { $0.run.json } }

    var latencyJSON: [String: Any] { values.withLock { $0.latency.json } }

    var stats: FakeUpstreamStats { values.withLock { FakeUpstreamStats(requests: $0.requests, faults: $0.faults) } }

    /// `{"requests": {"POST /v1/chat/completions": 3}, "faults": {"429": 1}, "total_requests": 3, "total_faults": 1}`.
    var statsJSON: [String: Any] {
        values.withLock { values in
            [
                "requests": values.requests, "faults": values.faults,
                "total_requests": values.requests.values.reduce(0, +),
                "total_faults": values.faults.values.reduce(0, +),
            ]
        }
    }

    func resetStats() {
        values.withLock {
            $0.requests = [:]
            $0.faults = [:]
        }
    }
}
