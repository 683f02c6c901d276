/// A fixed-width, markdown-compatible table of text cells (numbers right-aligned, the columns in
/// ``leftAligned`` left-aligned).
struct TextTable {
    var headers: [String]
    var leftAligned: Set<Int>
    var rows: [[String]]

    func render() -> String {
        var widths = headers.map(\.count)
        for line in rows {
            for (index, cell) in line.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        func line(_ values: [String]) -> String {
            let padded = values.enumerated().map { index, value in
                let fill = String(repeating: " ", count: widths[index] - value.count)
                return leftAligned.contains(index) ? value + fill : fill + value
            }
            return "| " + padded.joined(separator: " | ") + " |"
        }
        let rule =
            "|"
            + widths.enumerated().map { index, width in
                leftAligned.contains(index)
                    ? ":" + String(repeating: "-", count: width + 1) : String(repeating: "-", count: width + 1) + ":"
            }.joined(separator: "|") + "|"
        return ([line(headers), rule] + rows.map(line)).joined(separator: "\n")
    }
}
