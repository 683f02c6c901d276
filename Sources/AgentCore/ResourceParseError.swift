/// A resource reading (`/proc/stat`, `/proc/meminfo`, `nvidia-smi` output) that cannot be
/// understood; the message names the source and the problem.
public struct ResourceParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public var source: String
    public var message: String

    public init(source: String, message: String) {
        self.source = source
        self.message = message
    }

    public var description: String { "\(source): \(message)" }
}
