/// A JSON string token read in place, strictly: what ``JSONTreeParser`` and the journal's own
/// scanner share. `nil` for anything it is not sure about: a missing closing quote, a control
/// character, an unknown escape, a lone surrogate, invalid UTF-8.
public struct JSONStringToken {
    @usableFromInline let bytes: UnsafeRawBufferPointer
    @usableFromInline var index: Int

    /// The string whose opening quote is at `index`; on success `index` is just past its closing
    /// quote.
    @inlinable
    public static func read(_ bytes: UnsafeRawBufferPointer, at index: inout Int) -> String? {
        var token = JSONStringToken(bytes: bytes, index: index)
        let text = token.string()
        index = token.index
        return text
    }

    @inlinable
    init(bytes: UnsafeRawBufferPointer, index: Int) {
        self.bytes = bytes
        self.index = index
    }

    /// A string token starting at its opening quote.
    @inlinable
    mutating func string() -> String? {
        index += 1
        let start = index
        var ascii = true
        // Fast scan: no escapes.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let run = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
                index += 1
                return ascii ? String(decoding: run, as: UTF8.self) : String(validating: run, as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { return nil }
            if byte >= 0x80 { ascii = false }
            index += 1
        }
        // With escapes: unescaped UTF-8, validated once at the end.
        var utf8 = Array(bytes[start..<index])
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return String(validating: utf8, as: UTF8.self)
            case UInt8(ascii: "\\"):
                index += 1
                guard index < bytes.count, escape(into: &utf8) else { return nil }
            default:
                if byte < 0x20 { return nil }
                utf8.append(byte)
                index += 1
            }
        }
        return nil
    }

    /// The escape after a backslash, appended as UTF-8.
    @inlinable
    mutating func escape(into utf8: inout [UInt8]) -> Bool {
        let escape = bytes[index]
        index += 1
        switch escape {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"):
            guard let unit = hex4() else { return false }
            let scalar: Unicode.Scalar?
            switch unit {
            case 0xD800..<0xDC00:
                // A high surrogate must be followed by an escaped low one.
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
                else { return false }
                index += 2
                guard let low = hex4(), (0xDC00..<0xE000).contains(low) else { return false }
                scalar = Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
            case 0xDC00..<0xE000:
                return false
            default:
                scalar = Unicode.Scalar(unit)
            }
            guard let scalar else { return false }
            utf8.append(contentsOf: UTF8.encode(scalar)!)
        default:
            return false
        }
        return true
    }

    @inlinable
    mutating func hex4() -> UInt32? {
        guard index + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: return nil
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }
}
