/// A minimal JSON byte writer: raw fragments, escaped strings, numbers. For the hot paths that
/// write JSON directly instead of through `JSONEncoder` (answers, ledger records).
public struct JSONBytes: Sendable {
    public private(set) var bytes: [UInt8]
    /// Whether the open object already holds a member (the next one needs a comma).
    private var afterMember = false

    public init(capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func raw(_ fragment: String) {
        // Through the contiguous UTF-8 buffer: a plain copy, where appending `utf8` goes element
        // by element (and showed in the profile of every answer written).
        var fragment = fragment
        fragment.withUTF8 { bytes.append(contentsOf: $0) }
    }

    /// Bytes that already are JSON (a value written elsewhere), copied as they are.
    public mutating func raw(_ json: some Collection<UInt8>) {
        bytes.append(contentsOf: json)
    }

    /// A JSON string: quotes, and escapes for `"`, `\\` and control characters (RFC 8259).
    /// Runs without anything to escape are copied at once.
    public mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            var runStart = 0
            for index in 0..<utf8.count {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
                runStart = index + 1
                switch byte {
                case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
                case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
                case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
                case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
                case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
                default:
                    bytes.append(contentsOf: [
                        UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                        Self.hex[Int(byte >> 4)], Self.hex[Int(byte & 0xF)],
                    ])
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<utf8.count]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    public mutating func int(_ value: Int) {
        raw(String(value))
    }

    /// A finite number in its shortest round-tripping form (the caller checks `isFinite`).
    public mutating func double(_ value: Double) {
        raw(value.description)
    }

    /// A JSON array of strings.
    public mutating func strings(_ values: [String]) {
        raw("[")
        for (index, value) in values.enumerated() {
            if index > 0 { raw(",") }
            string(value)
        }
        raw("]")
    }

    public mutating func bool(_ value: Bool) {
        raw(value ? "true" : "false")
    }

    /// Opens an object; ``key(_:)`` and ``member(_:_:)-(_,String?)`` then put the commas between
    /// its members. A nested object is opened after its member's key (or as an array element).
    public mutating func beginObject() {
        bytes.append(UInt8(ascii: "{"))
        afterMember = false
    }

    /// Closes the object opened last.
    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        afterMember = true  // the enclosing object, if any, holds at least the member just closed
    }

    /// `"key":` in the open object (with the comma after an earlier member), for the caller to
    /// write the value. `key` is written as it is: a name of the caller's, which needs no escaping.
    public mutating func key(_ key: String) {
        if afterMember { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        raw(key)
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        afterMember = true
    }

    /// A member of the open object; nothing when `value` is `nil`.
    public mutating func member(_ key: String, _ value: String?) {
        guard let value else { return }
        self.key(key)
        string(value)
    }

    public mutating func member(_ key: String, _ value: Int?) {
        guard let value else { return }
        self.key(key)
        int(value)
    }

    /// As ``member(_:_:)-(_,String?)``, for a finite number (the caller checks `isFinite`).
    public mutating func member(_ key: String, _ value: Double?) {
        guard let value else { return }
        self.key(key)
        double(value)
    }

    public mutating func member(_ key: String, _ value: Bool?) {
        guard let value else { return }
        self.key(key)
        bool(value)
    }

    public mutating func member(_ key: String, _ values: [String]?) {
        guard let values else { return }
        self.key(key)
        strings(values)
    }
}
