/// A fault script, latency or configuration file the fake upstream cannot use; `message` names
/// where (`rules[1].every`) and what is wrong.
public struct FakeConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
