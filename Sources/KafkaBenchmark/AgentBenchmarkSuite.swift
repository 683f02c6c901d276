import Foundation

/// The provider agent against the raw pass-through baseline on the same broker: throughput and
/// CPU per request with a 0-ms provider, then concurrency and memory per in-flight request with
/// a slow (200-ms) provider. Collects table rows, target checks and notes.
struct AgentBenchmarkSuite {
    struct Plan: Sendable {
        /// Timed requests of the baseline and the 0-ms scenario.
        var requests: Int
        /// The 0-ms scenario's `maxInFlight` (= `maxConcurrentCalls`).
        var inFlight: Int
        /// Timed requests, provider latency and in-flight bound of the slow scenario.
        var slowRequests: Int
        var slowLatency: Duration
        var slowInFlight: Int
    }

    /// The targets.
    /// Issue 12's targets (the 50,000 req/s is issue 3's).
    enum Target {
        static let ratio = 0.5
        static let rate = 50_000.0
        static let cpuMicroseconds = 50.0
        static let inFlight = 10_000
        static let bytesPerInFlight = 16.0 * 1024
    }

    let context: BenchmarkContext
    let plan: Plan
    private(set) var rows: [AgentResultRow] = []
    /// Target checks, one line each.
    private(set) var targets: [String] = []
    private(set) var notes: [String] = []

    init(context: BenchmarkContext, plan: Plan) {
        self.context = context
        self.plan = plan
    }

    mutating func run() async throws {
        let base = try await PassThroughBaseline(context: context).run(requests: plan.requests)
        let baseRow = AgentResultRow(
            scenario: "raw pass-through", provider: "", requests: base.requests, size: base.requestBytes,
            answers: base.answers)
        add(baseRow)
        let own = base.passThrough
        if own.elapsed > .zero {
            notes.append(
                """
                raw pass-through: group join + first fetch \(seconds(own.join)); by its own clock (first consumed \
                → last reply acknowledged, \

                """
                    + """
                    all \(ResultTable.grouped(own.messages)) incl. warm-up and its idle second) \
                    \(ResultTable.grouped(Int((Double(own.messages) / own.elapsed.seconds).rounded()))) req/s
                    """
            )
        }

        let fast = try await AgentScenario(context: context).run(
            .init(
                latency: .zero, requests: plan.requests, maxInFlight: plan.inFlight, maxConcurrentCalls: plan.inFlight
            ))
        // Memory per in-flight request is the slow scenario's figure: with at most 512 in flight
        // the 0-ms run's RSS change is mostly buffers and heap growth, not requests (see notes).
        let fastRow = row(fast, memory: false)
        add(fastRow)

        // The same without the ledger: what its two acknowledged writes per call cost.
        let unledgered = try await AgentScenario(context: context).run(
            .init(
                latency: .zero, requests: plan.requests, maxInFlight: plan.inFlight, maxConcurrentCalls: plan.inFlight,
                ledger: false
            ))
        add(row(unledgered, memory: false))

        let slow = try await AgentScenario(context: context).run(
            .init(
                latency: plan.slowLatency, requests: plan.slowRequests, maxInFlight: plan.slowInFlight,
                maxConcurrentCalls: plan.slowInFlight
            ))
        let slowRow = row(slow)
        add(slowRow)

        // The baseline's window is short (a second or two), so its ramp-up and tail weigh more:
        // the ratio is given end to end and steady (10th → 90th percentile), met only if both are.
        let rates = (base: baseRow.rate ?? 0, agent: fastRow.rate ?? 0)
        let steady = (base: baseRow.steadyRate ?? 0, agent: fastRow.steadyRate ?? 0)
        let ratio = rates.base > 0 ? rates.agent / rates.base : 0
        let steadyRatio = steady.base > 0 ? steady.agent / steady.base : 0
        targets.append(
            "agent (0 ms) / raw pass-through throughput: \(grouped(rates.agent)) / \(grouped(rates.base)) req/s = "
                + String(format: "%.1f%%", ratio * 100)
                + " end to end, \(grouped(steady.agent)) / \(grouped(steady.base)) req/s = "
                + String(format: "%.1f%%", steadyRatio * 100)
                + " steady (target ≥ \(Int(Target.ratio * 100))%: \(verdict(min(ratio, steadyRatio) >= Target.ratio)))"
        )
        targets.append(
            "agent (0 ms) throughput: \(grouped(rates.agent)) req/s end to end, \(grouped(steady.agent)) steady "
                + "(target ≥ \(grouped(Target.rate)) req/s: \(verdict(min(rates.agent, steady.agent) >= Target.rate)))"
        )
        if let agentCPU = fastRow.cpuMicroseconds, let baseCPU = baseRow.cpuMicroseconds, baseCPU > 0 {
            targets.append(
                String(
                    format: "CPU per request: agent (0 ms) %.1f µs, raw pass-through %.1f µs (%.1f×)", agentCPU,
                    baseCPU, agentCPU / baseCPU)
                    + " (target ≤ \(Int(Target.cpuMicroseconds)) µs: \(verdict(agentCPU <= Target.cpuMicroseconds)))")
        }
        let agentPeak = slow.peakAgentInFlight?.inFlight ?? 0
        targets.append(
            """
            agent (\(slow.setup.label)) requests in flight at once: agent in_flight up to \
            \(ResultTable.grouped(agentPeak)) \

            """
                + "(target ≥ \(ResultTable.grouped(Target.inFlight)): \(verdict(agentPeak >= Target.inFlight))); "
                    + """
                    calls at the provider at once up to \(ResultTable.grouped(slow.peakCalls)) \
                    (\(verdict(slow.peakCalls >= Target.inFlight)))
                    """
        )
        if let perRequest = slowRow.bytesPerInFlight {
            targets.append(
                "agent (\(slow.setup.label)) memory per in-flight request: "
                    + String(format: "%.1f KiB in use", perRequest / 1024)
                    + (slowRow.residentBytesPerInFlight.map {
                        String(format: " (%.1f KiB by the RSS as read, with freed buffers)", $0 / 1024)
                    } ?? "")
                        + """
                         (target ≤ \(Int(Target.bytesPerInFlight / 1024)) KiB: \
                        \(verdict(perRequest <= Target.bytesPerInFlight)))
                        """
            )
        } else {
            targets.append(
                "agent (\(slow.setup.label)) memory per in-flight request: not measured (no idle or peak sample)")
        }

        for outcome in [fast, slow] { describe(outcome) }
    }

    private func row(_ outcome: AgentScenario.Outcome, memory: Bool = true) -> AgentResultRow {
        AgentResultRow(outcome, memory: memory)
    }

    private mutating func describe(_ outcome: AgentScenario.Outcome) {
        let label = "agent (\(outcome.setup.label))"
        notes.append(
            """
            \(label): max in flight \(ResultTable.grouped(outcome.setup.maxInFlight)), max concurrent calls \
            \(ResultTable.grouped(outcome.setup.maxConcurrentCalls)); \

            """
                + """
                agent start → \(ResultTable.grouped(outcome.warmup)) warm-up requests answered: \
                \(seconds(outcome.startup)) (group join, ledger reads; not in the rate)
                """
        )
        if let idle = outcome.residentIdle, let peak = outcome.resources.peak {
            notes.append(
                "\(label): RSS idle \(AgentResultTable.mebibytes(idle)) MiB (warmed up, nothing in flight); "
                    + """
                    \(AgentResultTable.mebibytes(peak.residentBytes)) MiB at the sample with the most calls at the \
                    provider (\(ResultTable.grouped(peak.inFlight))), \

                    """
                    + String(
                        format: "%.1f KiB per call",
                        Double(peak.residentBytes - idle) / Double(max(1, peak.inFlight)) / 1024)
                        + """
                        ; max \(AgentResultTable.mebibytes(outcome.resources.maxResidentBytes)) MiB \
                        (\(outcome.resources.samples) samples, every 10 ms)
                        """
            )
        }
        let expectedCalls = outcome.warmup + outcome.setup.requests
        if outcome.providerCalls != expectedCalls {
            notes.append(
                "\(label): the provider was called \(outcome.providerCalls) times for \(expectedCalls) requests")
        }
        if outcome.answers.duplicates > 0 {
            notes.append("\(label): \(outcome.answers.duplicates) duplicate answers")
        }
    }

    private mutating func add(_ row: AgentResultRow) {
        rows.append(row)
        var line = "  -> \(row.scenario) \(row.provider): "
        if let rate = row.rate { line += "\(ResultTable.grouped(Int(rate.rounded()))) req/s" }
        if let cpu = row.cpuMicroseconds { line += String(format: ", %.1f µs CPU/req", cpu) }
        if let peak = row.peakCalls { line += ", peak \(ResultTable.grouped(peak)) calls" }
        if let peak = row.peakAgentInFlight { line += ", peak in_flight \(ResultTable.grouped(peak))" }
        if let bytes = row.bytesPerInFlight { line += String(format: ", %.1f KiB/in-flight", bytes / 1024) }
        progress(line)
    }

    private func verdict(_ met: Bool) -> String { met ? "met" : "MISSED" }

    private func grouped(_ rate: Double) -> String { ResultTable.grouped(Int(rate.rounded())) }

    private func seconds(_ duration: Duration) -> String { String(format: "%.2f s", duration.seconds) }
}
