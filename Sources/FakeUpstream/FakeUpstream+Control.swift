extension FakeUpstream {
    /// Replaces the fault script of the running fake (its budgets start afresh), as
    /// `PUT /fake/faults` does.
    public func setFaults(_ script: FaultScript) { state.setFaults(script) }

    /// Replaces the latency (its generator starts afresh from the seed), as `PUT /fake/latency`.
    public func setLatency(_ latency: FakeLatency) { state.setLatency(latency) }

    /// Requests served and faults injected so far, as `GET /fake/stats`.
    public var stats: FakeUpstreamStats { state.stats }

    /// Forgets the counts, as `DELETE /fake/stats`.
    public func resetStats() { state.resetStats() }
}
