import Common
import Yams

/// `--set KEY=VALUE` options: keys of one section of the configuration file (a provider's entry
/// under `agents:`, or `router:`) set on the command line, over the file. `KEY` is the key path
/// inside the section as the file writes it (`rate_limit.window_ms`, `prices."gpt-4.1"`), `VALUE`
/// is YAML (`0`, `leaky`, `[a, b]`, `{input_per_million: 1, output_per_million: 2}`; empty: the
/// default). A mapping set this way is laid over the file's key by key, so
/// `--set rate_limit.window_ms=1000` keeps the file's other `rate_limit` keys.
///
/// The values are read by the same code as the file, so they meet the same rules with the same
/// words; an error names the option (`--set rate_limit.window_ms: must be >= 1, got 0`).
public struct ConfigOverlay: Sendable, Hashable {
    /// One `--set`: the key path, split, and the value's text.
    public struct Entry: Sendable, Hashable {
        public var keys: [String]
        public var value: String
    }

    /// The section the keys are in (`["agents", "openai"]`, `["router"]`).
    public var section: [String]
    public var entries: [Entry]
    /// The option's name in errors.
    public var option: String

    public static let optionName = "--set"

    /// Reads `KEY=VALUE` arguments; a malformed one is an error naming the option.
    public init(
        section: [String], arguments: [String], option: String = ConfigOverlay.optionName
    ) throws(AgentConfigurationError) {
        self.section = section
        self.option = option
        entries = []
        for argument in arguments {
            guard let keys = Self.keyPath(argument), let equals = Self.separator(argument) else {
                throw .option(
                    option, "expects KEY=VALUE with KEY a key path such as rate_limit.window_ms, got '\(argument)'"
                )
            }
            entries.append(Entry(keys: keys, value: String(argument[argument.index(after: equals)...])))
        }
    }

    public var isEmpty: Bool { entries.isEmpty }

    /// Full key paths (as ``ConfigNode/path`` writes them) the options set.
    var paths: [String] {
        entries.map { InvalidSetting.render((section + $0.keys).map { .name($0) }) }
    }

    /// The error label for a problem at the full key path `path`, when an option set it (or
    /// something inside it): `--set rate_limit.window_ms`; `nil` when the file did.
    func label(for path: String) -> String? {
        let sectionPath = InvalidSetting.render(section.map { .name($0) })
        for full in paths {
            let inside = path == full || path.hasPrefix(full + ".") || path.hasPrefix(full + "[")
            let around = full.hasPrefix(path + ".") || full.hasPrefix(path + "[")
            guard inside || around else { continue }
            return option + " " + (inside ? path : full).dropFirst(sectionPath.count + 1)
        }
        return nil
    }

    /// `root` with every entry set into the section (mappings merged key by key, merge keys
    /// resolved along the way, the options winning).
    func apply(to root: Node) throws(AgentConfigurationError) -> Node {
        var result = root
        for entry in entries {
            let value: Node
            do {
                value = try Yams.compose(yaml: entry.value) ?? Node("", Tag(.null))
            } catch {
                let name = InvalidSetting.render(entry.keys.map { .name($0) })
                let problem = String(describing: error).split(separator: "\n").first ?? ""
                throw .option("\(option) \(name)", "not valid YAML: \(problem)")
            }
            result = Self.set(section + entry.keys, to: value, in: result)
        }
        return result
    }

    private static func set(_ keys: [String], to value: Node, in node: Node?) -> Node {
        guard let key = keys.first else { return value }
        var pairs = flattened(node)
        if let index = pairs.firstIndex(where: { $0.0.scalar?.string == key }) {
            pairs[index].1 = set(Array(keys.dropFirst()), to: value, in: pairs[index].1)
        } else {
            pairs.append((Node(key), set(Array(keys.dropFirst()), to: value, in: nil)))
        }
        if case .mapping(let mapping)? = node {
            return .mapping(Node.Mapping(pairs, mapping.tag, mapping.style, mapping.mark))
        }
        return Node(pairs)
    }

    /// The pairs of a mapping with its merge keys resolved (own keys win, the first merged
    /// mapping wins among merged ones); anything else is an empty mapping.
    private static func flattened(_ node: Node?) -> [(Node, Node)] {
        guard case .mapping(let mapping)? = node else { return [] }
        var merged: [(Node, Node)] = []
        var own: [(Node, Node)] = []
        for (key, value) in mapping {
            guard key.isMergeKey else {
                own.append((key, value))
                continue
            }
            let sources: [Node]
            switch value {
            case .mapping: sources = [value]
            case .sequence(let sequence): sources = Array(sequence)
            default: sources = []
            }
            for source in sources {
                for pair in flattened(source) {
                    let name = pair.0.scalar?.string
                    if !merged.contains(where: { $0.0.scalar?.string == name }) { merged.append(pair) }
                }
            }
        }
        let ownKeys = Set(own.compactMap { $0.0.scalar?.string })
        return merged.filter { !ownKeys.contains($0.0.scalar?.string ?? "") } + own
    }

    /// `a.b."c.d"` → `[a, b, c.d]` (the part before the first `=` outside quotes); `nil` when a
    /// key is empty or a quote is not closed.
    static func keyPath(_ argument: String) -> [String]? {
        var keys: [String] = []
        var current = ""
        var quoted = false
        var wasQuoted = false
        for character in argument {
            if character == "\"" {
                quoted.toggle()
                wasQuoted = true
            } else if !quoted, character == "=" || character == "." {
                guard !current.isEmpty || wasQuoted else { return nil }
                keys.append(current)
                (current, wasQuoted) = ("", false)
                if character == "=" { return keys }
            } else {
                current.append(character)
            }
        }
        return nil
    }

    /// The first `=` outside quotes.
    private static func separator(_ argument: String) -> String.Index? {
        var quoted = false
        for index in argument.indices {
            if argument[index] == "\"" { quoted.toggle() }
            if !quoted, argument[index] == "=" { return index }
        }
        return nil
    }
}
