public import Common

extension JSONValue: JSONTreeValue {
    public static func emptyMembers() -> [String: JSONValue] { [:] }

    public static func insert(_ value: JSONValue, forKey key: String, into members: inout [String: JSONValue]) -> Bool {
        members.updateValue(value, forKey: key) == nil
    }
}

/// The hot signals' decoding fast path reads its bytes with the house's scanner into ``JSONValue``.
typealias FastJSONParser = JSONTreeParser<JSONValue>
