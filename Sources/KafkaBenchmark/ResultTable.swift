import Foundation

/// Renders result rows as a fixed-width, markdown-compatible table.
struct ResultTable {
    var rows: [ResultRow]

    private static let headers = [
        "scenario", "size", "messages", "rate msg/s", "MB/s", "p50 ms", "p99 ms", "max ms", "errors",
    ]
    /// Text columns are left-aligned, numbers right-aligned.
    private static let leftAligned: Set<Int> = [0]

    func render() -> String {
        TextTable(headers: Self.headers, leftAligned: Self.leftAligned, rows: rows.map(Self.cells(for:))).render()
    }

    private static func cells(for row: ResultRow) -> [String] {
        [
            row.scenario,
            sizeLabel(row.size),
            grouped(row.messages),
            row.rate.map { grouped(Int($0.rounded())) } ?? "",
            row.megabytesPerSecond.map { String(format: "%.1f", $0) } ?? "",
            row.latency.map { milliseconds($0.p50) } ?? "",
            row.latency.map { milliseconds($0.p99) } ?? "",
            row.latency.map { milliseconds($0.max) } ?? "",
            String(row.errors),
        ]
    }

    /// `200 B`, `1 KB` (1 KB = 1024 B).
    static func sizeLabel(_ bytes: Int) -> String {
        bytes >= 1024 && bytes % 1024 == 0 ? "\(bytes / 1024) KB" : "\(bytes) B"
    }

    private static func milliseconds(_ value: Double) -> String {
        String(format: value < 10 ? "%.2f" : "%.1f", value)
    }

    /// `200000` → `200,000`.
    static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return value < 0 ? "-" + out : out
    }
}
