/// A configuration value that cannot be used: names where it came from (a file and line, or a
/// command-line option), the key or option, and what is wrong with it.
///
/// Reads like a compiler diagnostic:
/// `config/provider-agents.yaml:14: agents.openai.rate_limit.window_ms: must be >= 1, got 0` or
/// `--test-server-error-rate: must be between 0 and 1, got 1.5`.
public struct AgentConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The configuration file (`nil`: a command-line option or the environment).
    public var file: String?
    /// 1-based line in ``file`` where the offending value starts, when known.
    public var line: Int?
    /// The key path in the file (`agents.openai.rate_limit.window_ms`) or the option (`--provider`).
    public var key: String
    public var message: String

    public init(file: String? = nil, line: Int? = nil, key: String, message: String) {
        self.file = file
        self.line = line
        self.key = key
        self.message = message
    }

    /// An error about a command-line option.
    static func option(_ option: String, _ message: String) -> AgentConfigurationError {
        AgentConfigurationError(key: option, message: message)
    }

    public var description: String {
        var location = ""
        if let file {
            location = file + (line.map { ":\($0)" } ?? "") + ": "
        }
        return key.isEmpty ? location + message : location + key + ": " + message
    }
}
