import Common

/// A JSON value read from an upstream's answer by ``ResponseJSONParser`` (the house's
/// ``JSONTreeParser``), for the adapters' fast paths. Objects keep their members in order and are
/// searched linearly (answers' objects are small); integer tokens are `.integer`, every other
/// number `.number`.
enum ResponseJSON: Sendable, Equatable, JSONTreeValue {
    case null
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case array([ResponseJSON])
    case object([Member])

    /// One member of an object (keys are unique: the parser refuses duplicates).
    struct Member: Sendable, Equatable {
        var key: String
        var value: ResponseJSON
    }

    /// The member `key` of an object; `nil` for a missing member or a value that is no object.
    subscript(key: String) -> ResponseJSON? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    var isObject: Bool {
        if case .object = self { return true }
        return false
    }

    /// What the slow paths read with `as? Int ?? 0` from a member holding a token count: `.some(n)`
    /// for an integer, `.some(nil)` for a missing or null member, `nil` (not sure: leave the answer
    /// to the slow path) for anything else.
    static func count(_ value: ResponseJSON?) -> Int?? {
        switch value {
        case nil, .null?: return .some(nil)
        case .integer(let count)?: return .some(count)
        default: return nil
        }
    }

    static func emptyMembers() -> [Member] { [] }

    static func insert(_ value: ResponseJSON, forKey key: String, into members: inout [Member]) -> Bool {
        guard !members.contains(where: { $0.key == key }) else { return false }
        members.append(Member(key: key, value: value))
        return true
    }
}

/// Upstream answers are read in place by the house's scanner into ordered objects.
typealias ResponseJSONParser = JSONTreeParser<ResponseJSON>
