import Foundation

/// The scale suite's rebalance table: one row per group change under a steady load.
struct RebalancePauseTable {
    struct Row: Sendable {
        /// `join (2 → 3)`, `leave (3 → 2)`.
        var event: String
        /// Seconds into the load.
        var at: Double
        /// Partitions that changed owner (from the agents' status).
        var moved: Int?
        /// Event → every running agent reports its even share in `provider_status` (every 500 ms).
        var settled: Duration?
        var pause: RebalancePause
    }

    var rows: [Row]

    private static let headers = [
        "event", "at s", "partitions moved", "settled s", "pause: one partition ms", "all partitions ms",
        "normal gap ms", "recovered after s", "p99 before ms", "p99 after ms",
    ]

    func render() -> String {
        TextTable(headers: Self.headers, leftAligned: [0], rows: rows.map(Self.cells(for:))).render()
    }

    private static func cells(for row: Row) -> [String] {
        [
            row.event,
            String(format: "%.1f", row.at),
            row.moved.map(String.init) ?? "",
            row.settled.map { String(format: "%.1f", $0.seconds) } ?? "",
            milliseconds(row.pause.longestPartitionGap),
            milliseconds(row.pause.longestGapAnyPartition),
            milliseconds(row.pause.baselinePartitionGap),
            String(format: "%.1f", row.pause.recovered.seconds),
            milliseconds(row.pause.baselineP99),
            milliseconds(row.pause.windowP99),
        ]
    }

    private static func milliseconds(_ duration: Duration) -> String {
        ResultTable.grouped(Int((duration.seconds * 1000).rounded()))
    }
}
