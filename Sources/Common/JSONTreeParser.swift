/// The house's strict JSON (RFC 8259) parser for the fast paths (hot signals, upstream
/// answers), reading bytes in place (no `Data` copy) into any ``JSONTreeValue`` value. It gives up
/// — answers `nil` — on anything it is not sure about: syntax errors, invalid UTF-8, lone
/// surrogates, duplicate keys, nesting deeper than 64, integers beyond `Int` (and `-0`),
/// non-finite numbers, a byte-order mark. Its callers then read the same bytes with their strict
/// decoder (`Codable`, `JSONSerialization`), which gives the precise result or error.
///
/// `@inlinable` so that each value type gets its own specialized copy in the module using it.
public struct JSONTreeParser<Value: JSONTreeValue> {
    @usableFromInline let bytes: UnsafeRawBufferPointer
    @usableFromInline var index = 0
    @usableFromInline var depth = 0

    public static var maximumDepth: Int { 64 }

    @inlinable
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Value? {
        var scanner = JSONTreeParser(bytes: bytes)
        guard let value = scanner.value() else { return nil }
        scanner.skipWhitespace()
        return scanner.index == bytes.count ? value : nil
    }

    @inlinable
    public static func parse(_ text: String) -> Value? {
        var text = text
        return text.withUTF8 { parse(UnsafeRawBufferPointer($0)) }
    }

    @inlinable
    public static func parse(_ bytes: some Collection<UInt8>) -> Value? {
        if let parsed = bytes.withContiguousStorageIfAvailable({ parse(UnsafeRawBufferPointer($0)) }) { return parsed }
        return Array(bytes).withUnsafeBytes { parse($0) }
    }

    @inlinable
    init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    @inlinable
    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    @inlinable
    mutating func value() -> Value? {
        skipWhitespace()
        guard index < bytes.count else { return nil }
        switch bytes[index] {
        case UInt8(ascii: "{"): return object()
        case UInt8(ascii: "["): return array()
        case UInt8(ascii: "\""): return string().map(Value.string)
        case UInt8(ascii: "t"): return literal("true", Value.bool(true))
        case UInt8(ascii: "f"): return literal("false", Value.bool(false))
        case UInt8(ascii: "n"): return literal("null", Value.null)
        default: return number()
        }
    }

    @inlinable
    mutating func literal(_ word: StaticString, _ value: Value) -> Value? {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { return nil }
        let start = word.utf8Start
        for offset in 0..<count where bytes[index + offset] != start[offset] { return nil }
        index += count
        return value
    }

    @inlinable
    mutating func object() -> Value? {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maximumDepth else { return nil }
        index += 1
        var members = Value.emptyMembers()
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return Value.object(members)
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\""), let key = string() else { return nil }
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
            index += 1
            guard let member = value() else { return nil }
            guard Value.insert(member, forKey: key, into: &members) else { return nil }
            skipWhitespace()
            guard index < bytes.count else { return nil }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
            } else if bytes[index] == UInt8(ascii: "}") {
                index += 1
                return Value.object(members)
            } else {
                return nil
            }
        }
    }

    @inlinable
    mutating func array() -> Value? {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maximumDepth else { return nil }
        index += 1
        var elements: [Value] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return Value.array(elements)
        }
        while true {
            guard let element = value() else { return nil }
            elements.append(element)
            skipWhitespace()
            guard index < bytes.count else { return nil }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
            } else if bytes[index] == UInt8(ascii: "]") {
                index += 1
                return Value.array(elements)
            } else {
                return nil
            }
        }
    }

    /// A string token starting at its opening quote.
    @inlinable
    mutating func string() -> String? {
        JSONStringToken.read(bytes, at: &index)
    }

    @inlinable
    func isDigit(_ position: Int) -> Bool {
        position < bytes.count && bytes[position] >= UInt8(ascii: "0") && bytes[position] <= UInt8(ascii: "9")
    }

    @inlinable
    mutating func number() -> Value? {
        let start = index
        let negative = bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        let digitsStart = index
        // Integer part, accumulated (negatively, so Int.min fits) while it fits.
        var integer = 0
        var fits = true
        while isDigit(index) {
            let digit = Int(bytes[index] - UInt8(ascii: "0"))
            let (times10, overflow1) = integer.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = times10.subtractingReportingOverflow(digit)
            if overflow1 || overflow2 { fits = false }
            integer = next
            index += 1
        }
        let integerDigits = index - digitsStart
        guard integerDigits > 0 else { return nil }
        // No leading zeros ("01").
        if integerDigits > 1, bytes[digitsStart] == UInt8(ascii: "0") { return nil }
        var integral = true
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            integral = false
            index += 1
            let fractionStart = index
            while isDigit(index) { index += 1 }
            guard index > fractionStart else { return nil }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            integral = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            let exponentStart = index
            while isDigit(index) { index += 1 }
            guard index > exponentStart else { return nil }
        }
        if integral {
            // Beyond Int (or "-0", whose sign an Int loses): the slow path decides.
            guard fits, !(negative && integer == 0) else { return nil }
            if negative { return Value.integer(integer) }
            guard integer != Int.min else { return nil }
            return Value.integer(-integer)
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else { return nil }
        return Value.number(value)
    }
}
