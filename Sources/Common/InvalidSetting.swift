/// A setting value that cannot be used: which setting, by its key path relative to what was
/// checked (`circuit_breaker.minimum_requests`, `models[1]`, `prices."gpt-4.1".input_per_million`),
/// and what is wrong with it (`must be >= 1, got 0`).
///
/// Every setting is checked by one validator, whatever set it; the entry points only add where the
/// value came from: the configuration file its path, line and the key path above the field
/// (`agents.openai.`), a control signal `data.`, a command-line option the option's name.
public struct InvalidSetting: Error, Sendable, Hashable, CustomStringConvertible {
    /// One step of a key path: a mapping key or a list index.
    public enum Key: Sendable, Hashable {
        case name(String)
        case index(Int)
    }

    /// The key path of the setting at fault; empty for the whole of what was checked.
    public var keys: [Key]
    public var message: String

    public init(_ keys: [Key], _ message: String) {
        self.keys = keys
        self.message = message
    }

    /// An error about the setting at the dotted path `field` (plain names only, no quoting).
    public init(field: String, message: String) {
        self.init(field.split(separator: ".").map { .name(String($0)) }, message)
    }

    /// The key path as text: names joined by `.`, indexes as `[i]`, names other than letters,
    /// digits, `_` and `-` in double quotes (`prices."gpt-4.1"`), as the configuration file's
    /// errors write them.
    public var field: String { Self.render(keys) }

    public var description: String { keys.isEmpty ? message : "\(field): \(message)" }

    /// The same error one level further down: `keys` in front of this one's.
    public func nested(under keys: [Key]) -> InvalidSetting {
        InvalidSetting(keys + self.keys, message)
    }

    public static func render(_ keys: [Key]) -> String {
        var out = ""
        for key in keys {
            switch key {
            case .index(let index):
                out += "[\(index)]"
            case .name(let name):
                if !out.isEmpty { out += "." }
                out += isPlain(name) ? name : "\"\(name)\""
            }
        }
        return out
    }

    /// Whether `name` is written without quotes in a key path.
    public static func isPlain(_ name: String) -> Bool {
        !name.isEmpty
            && name.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_"
                    || $0 == "-"
            }
    }
}

extension InvalidSetting.Key: ExpressibleByStringLiteral, CustomStringConvertible {
    public init(stringLiteral value: String) {
        self = .name(value)
    }

    public var description: String { InvalidSetting.render([self]) }
}
