import Foundation

/// Renders result rows as a fixed-width, markdown-compatible table.
struct ResultTable {
    var rows: [ResultRow]

    private static let headers = ["scenario", "size", "messages", "rate msg/s", "MB/s", "p50 ms", "p99 ms", "max ms", "errors"]
    /// Text columns are left-aligned, numbers right-aligned.
    private static let leftAligned: Set<Int> = [0]

    func render() -> String {
        let cells = rows.map(Self.cells(for:))
        var widths = Self.headers.map(\.count)
        for line in cells {
            for (index, cell) in line.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        func line(_ values: [String]) -> String {
            let padded = values.enumerated().map { index, value in
                let fill = String(repeating: " ", count: widths[index] - value.count)
                return Self.leftAligned.contains(index) ? value + fill : fill + value
            }
            return "| " + padded.joined(separator: " | ") + " |"
        }
        let rule = "|" + widths.enumerated().map { index, width in
            Self.leftAligned.contains(index) ? ":" + String(repeating: "-", count: width + 1) : String(repeating: "-", count: width + 1) + ":"
        }.joined(separator: "|") + "|"
        return ([line(Self.headers), rule] + cells.map(line)).joined(separator: "\n")
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
