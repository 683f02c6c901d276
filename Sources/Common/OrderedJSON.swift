/// A JSON value whose objects keep their members in order, read by ``JSONTreeParser`` for the
/// fast paths (hot signals, upstream answers). Objects are small there, so members are searched
/// linearly, or walked once with a `switch` on the key: no hashing, no dictionary. Integer
/// tokens are `.integer`, every other number `.number`.
public enum OrderedJSON: Sendable, Equatable, JSONTreeValue {
    case null
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case array([OrderedJSON])
    case object([Member])

    /// One member of an object (keys are unique: the parser refuses duplicates).
    public struct Member: Sendable, Equatable {
        public var key: String
        public var value: OrderedJSON

        public init(key: String, value: OrderedJSON) {
            self.key = key
            self.value = value
        }
    }

    /// The member `key` of an object; `nil` for a missing member or a value that is no object.
    public subscript(key: String) -> OrderedJSON? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    public var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var isObject: Bool {
        if case .object = self { return true }
        return false
    }

    public static func emptyMembers() -> [Member] {
        var members: [Member] = []
        members.reserveCapacity(8)  // room for a signal's members without growing
        return members
    }

    public static func insert(_ value: OrderedJSON, forKey key: String, into members: inout [Member]) -> Bool {
        guard !members.contains(where: { $0.key == key }) else { return false }
        members.append(Member(key: key, value: value))
        return true
    }
}
