import Foundation

/// Renders the agent benchmark's rows (memory in MiB / KiB: 2^20 / 2^10 bytes).
struct AgentResultTable {
    var rows: [AgentResultRow]

    private static let headers = [
        "scenario", "provider", "requests", "size", "rate req/s", "steady req/s", "CPU µs/req", "broker µs/req",
        "peak calls", "peak in_flight", "RSS idle MiB", "RSS peak MiB", "KiB/in-flight",
        "KiB/in-flight RSS",
    ]

    func render() -> String {
        TextTable(headers: Self.headers, leftAligned: [0, 1], rows: rows.map(Self.cells(for:))).render()
    }

    private static func cells(for row: AgentResultRow) -> [String] {
        [
            row.scenario,
            row.provider,
            ResultTable.grouped(row.requests),
            "\(row.size) B",
            row.rate.map { ResultTable.grouped(Int($0.rounded())) } ?? "",
            row.steadyRate.map { ResultTable.grouped(Int($0.rounded())) } ?? "",
            row.cpuMicroseconds.map { String(format: "%.1f", $0) } ?? "",
            row.brokerMicroseconds.map { String(format: "%.1f", $0) } ?? "",
            row.peakCalls.map(ResultTable.grouped) ?? "",
            row.peakAgentInFlight.map(ResultTable.grouped) ?? "",
            row.residentIdle.map(mebibytes) ?? "",
            row.residentPeak.map(mebibytes) ?? "",
            row.bytesPerInFlight.map { String(format: "%.1f", $0 / 1024) } ?? "",
            row.residentBytesPerInFlight.map { String(format: "%.1f", $0 / 1024) } ?? "",
        ]
    }

    static func mebibytes(_ bytes: Int) -> String {
        String(format: "%.1f", Double(bytes) / 1_048_576)
    }
}
