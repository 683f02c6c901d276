import Common

/// A minimal JSON reader for the journal's own records: walks an object's members, reads strings
/// and integers, and hands out other values as raw byte ranges without building them. It reads
/// what ``JournalRecord`` writes (and the ledger's earlier format); anything else makes it give
/// up with `nil`, never trap.
struct JSONScanner {
    let bytes: [UInt8]
    private(set) var index: Int

    init(_ bytes: [UInt8], from index: Int = 0) {
        self.bytes = bytes
        self.index = index
    }

    var isAtEnd: Bool { index >= bytes.count }

    mutating func skipWhitespace() {
        while index < bytes.count,
            bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09
        {
            index += 1
        }
    }

    /// Consumes `byte` (after whitespace); `false` when something else comes.
    mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    /// Walks the members of the object starting here, calling `member` with each name; `member`
    /// must read the value (any of the `read…` or ``skipValue()``) and return `false` to stop early.
    mutating func members(_ member: (inout JSONScanner, String) -> Bool) -> Bool {
        guard consume(UInt8(ascii: "{")) else { return false }
        if consume(UInt8(ascii: "}")) { return true }
        repeat {
            guard let name = readString(), consume(UInt8(ascii: ":")) else { return false }
            let start = index
            guard member(&self, name) else { return true }
            if index == start { return false }  // the value was not read
        } while consume(UInt8(ascii: ","))
        return consume(UInt8(ascii: "}"))
    }

    /// Walks the elements of the array starting here; `element` must read each one.
    mutating func elements(_ element: (inout JSONScanner) -> Bool) -> Bool {
        guard consume(UInt8(ascii: "[")) else { return false }
        if consume(UInt8(ascii: "]")) { return true }
        repeat {
            let start = index
            guard element(&self), index != start else { return false }
        } while consume(UInt8(ascii: ","))
        return consume(UInt8(ascii: "]"))
    }

    mutating func readString() -> String? {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
        var position = index
        let text = bytes.withUnsafeBytes { JSONStringToken.read($0, at: &position) }
        index = position
        return text
    }

    mutating func readInt() -> Int64? {
        skipWhitespace()
        var negative = false
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        let start = index
        var value: Int64 = 0
        while index < bytes.count, (48...57).contains(bytes[index]) {
            let (times, overflowTimes) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowSum) = times.addingReportingOverflow(Int64(bytes[index] - 48))
            guard !overflowTimes, !overflowSum else { return nil }
            value = sum
            index += 1
        }
        guard index > start else { return nil }
        return negative ? -value : value
    }

    /// `nil`: the JSON `null`, consumed. Otherwise leaves the scanner where it was.
    mutating func readNull() -> Bool {
        skipWhitespace()
        guard index + 4 <= bytes.count, bytes[index] == UInt8(ascii: "n") else { return false }
        index += 4
        return true
    }

    /// Skips any JSON value and returns the range it occupied.
    mutating func skipValue() -> Range<Int>? {
        skipWhitespace()
        let start = index
        guard index < bytes.count else { return nil }
        switch bytes[index] {
        case UInt8(ascii: "\""):
            guard readString() != nil else { return nil }
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    guard readString() != nil else { return nil }
                    continue
                }
                index += 1
                if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") { depth += 1 }
                if byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") {
                    depth -= 1
                    if depth == 0 { return start..<index }
                }
            }
            return nil
        default:
            while index < bytes.count, !",}] \n\r\t".utf8.contains(bytes[index]) { index += 1 }
            guard index > start else { return nil }
        }
        return start..<index
    }
}
