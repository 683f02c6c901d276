/// A JSON value type that ``JSONTreeParser`` can build: the scalar cases, arrays, and objects made
/// from members collected one by one. Enum cases of the same names satisfy the value requirements.
public protocol JSONTreeValue {
    /// What an object's members are collected in (a dictionary, or an ordered array).
    associatedtype Members

    static var null: Self { get }
    static func bool(_ value: Bool) -> Self
    static func integer(_ value: Int) -> Self
    static func number(_ value: Double) -> Self
    static func string(_ value: String) -> Self
    static func array(_ elements: [Self]) -> Self
    static func object(_ members: Members) -> Self

    /// An object's members before the first is added.
    static func emptyMembers() -> Members
    /// Adds a member; `false` when `key` is already there (the scanner then gives up: which of two
    /// equal keys wins differs between parsers).
    static func insert(_ value: Self, forKey key: String, into members: inout Members) -> Bool
}
