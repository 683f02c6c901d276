import Foundation

/// The scale suite's throughput table: one row per number of agent processes.
struct ScaleThroughputTable {
    struct Row: Sendable {
        var agents: Int
        /// Each agent's `max_in_flight` (= `max_concurrent_calls`).
        var inFlight: Int
        var requests: Int
        /// End to end (first timed answer read → last) and between the 10th and 90th percentile answer.
        var rate: Double?
        var steadyRate: Double?
        /// agents × in-flight / upstream latency.
        var bound: Double
        /// steady rate / (agents × the one-agent steady rate).
        var efficiency: Double?
        /// The whole machine's CPU busy share over the timed phase (2 cores = 100%).
        var machineBusyPercent: Double?
        /// CPU of the agent processes and of the fake upstream per request, over the timed phase.
        var agentMicroseconds: Double?
        var upstreamMicroseconds: Double?
    }

    var rows: [Row]

    private static let headers = [
        "agents", "in-flight each", "requests", "rate req/s", "steady req/s", "bound req/s", "of bound", "efficiency",
        "machine CPU", "agents CPU µs/req", "upstream CPU µs/req",
    ]

    func render() -> String {
        TextTable(headers: Self.headers, leftAligned: [], rows: rows.map(Self.cells(for:))).render()
    }

    private static func cells(for row: Row) -> [String] {
        [
            "\(row.agents)",
            "\(row.inFlight)",
            ResultTable.grouped(row.requests),
            row.rate.map { ResultTable.grouped(Int($0.rounded())) } ?? "",
            row.steadyRate.map { ResultTable.grouped(Int($0.rounded())) } ?? "",
            ResultTable.grouped(Int(row.bound.rounded())),
            row.steadyRate.map { String(format: "%.0f%%", $0 / row.bound * 100) } ?? "",
            row.efficiency.map { String(format: "%.2f", $0) } ?? "",
            row.machineBusyPercent.map { String(format: "%.0f%%", $0) } ?? "",
            row.agentMicroseconds.map { String(format: "%.0f", $0) } ?? "",
            row.upstreamMicroseconds.map { String(format: "%.0f", $0) } ?? "",
        ]
    }
}
