import Common
import Foundation
import Signals

/// Writes the adapters' request bodies (`[String: Any]` trees of strings, integers, doubles,
/// booleans, nulls, arrays and dictionaries) as JSON bytes directly — Foundation's
/// `JSONSerialization` bridges every dictionary to `NSDictionary` and sorts its keys, which cost a
/// fifth of an agent's CPU per call in the adapter benchmark. Anything else in the tree (an
/// `NSNumber` from parsed JSON, a non-finite number) makes it answer `nil`; the caller then falls
/// back to `JSONSerialization`.
enum JSONBodyWriter {
    /// An `Encodable` signal value (a tool, a tool choice, a schema) as a body value.
    static func value(of encodable: some Encodable) -> Any? {
        guard let data = try? JSONEncoder().encode(encodable) else { return nil }
        return try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
    }

    static func encode(_ value: Any) -> [UInt8]? {
        var writer = JSONBytes(capacity: 512)
        return write(value, into: &writer) ? writer.bytes : nil
    }

    private static func write(_ value: Any, into writer: inout JSONBytes) -> Bool {
        let type = ObjectIdentifier(Swift.type(of: value))
        if type == ObjectIdentifier(String.self) {
            writer.string(value as! String)
        } else if type == ObjectIdentifier(Int.self) {
            writer.int(value as! Int)
        } else if type == ObjectIdentifier(Bool.self) {
            writer.bool(value as! Bool)
        } else if type == ObjectIdentifier(Double.self) {
            let number = value as! Double
            guard number.isFinite else { return false }
            writer.double(number)
        } else if type == ObjectIdentifier(NSNull.self) {
            writer.raw("null")
        } else if let object = value as? [String: Any] {
            writer.raw("{")
            var first = true
            for (key, member) in object {
                if !first { writer.raw(",") }
                first = false
                writer.string(key)
                writer.raw(":")
                guard write(member, into: &writer) else { return false }
            }
            writer.raw("}")
        } else if let array = value as? [Any] {
            writer.raw("[")
            for (index, element) in array.enumerated() {
                if index > 0 { writer.raw(",") }
                guard write(element, into: &writer) else { return false }
            }
            writer.raw("]")
        } else {
            return false
        }
        return true
    }
}
