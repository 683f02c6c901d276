import Common
import Yams

/// A node of a YAML configuration file together with its key path, read strictly: every accessor
/// checks the YAML type (a quoted `"5"` is not a number, `5` is not a list) and every error names
/// the file, the line and the key path — or the `--set` option that set the value.
///
/// Anchors and aliases work as YAML defines them; merge keys (`<<: *defaults`) are applied, the
/// mapping's own keys winning over merged ones.
///
/// Only types are checked here. What a value may be is the rule of the policy it sets
/// (`RateLimitPolicy.validate()`, ...): its ``InvalidSetting`` is turned into an error at the
/// node it names by ``error(for:)``.
struct ConfigNode {
    /// Where the nodes come from: the file, and the keys `--set` options set over it.
    struct Source {
        var file: String
        var overlay: ConfigOverlay?

        /// The error at `path`: naming the option that set it, else the file and line.
        func error(at path: String, line: Int?, _ message: String) -> AgentConfigurationError {
            if let label = overlay?.label(for: path) { return .option(label, message) }
            return AgentConfigurationError(file: file, line: line, key: path, message: message)
        }
    }

    let node: Node
    /// Dotted key path from the document root (`agents.openai.rate_limit`), list items as `[i]`.
    let path: String
    let source: Source

    var file: String { source.file }

    /// Parses `text` and lays `overlay` over it; an empty document is an empty mapping.
    static func document(
        _ text: String, file: String, overlay: ConfigOverlay? = nil
    ) throws(AgentConfigurationError) -> ConfigNode {
        var root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw AgentConfigurationError(file: file, key: "", message: "not valid YAML: \(Self.describe(error))")
        } catch {
            throw AgentConfigurationError(file: file, key: "", message: "not valid YAML: \(error)")
        }
        if let overlay, !overlay.isEmpty { root = try overlay.apply(to: root ?? Node.mapping(Node.Mapping([]))) }
        let source = Source(file: file, overlay: overlay)
        return ConfigNode(node: root ?? Node.mapping(Node.Mapping([])), path: "", source: source)
    }

    func error(_ message: String) -> AgentConfigurationError {
        source.error(at: path, line: node.mark?.line, message)
    }

    /// The error for a rule broken below this node (`invalid.keys` from here): at the deepest
    /// node of that key path the document has, under the full key path.
    func error(for invalid: InvalidSetting) -> AgentConfigurationError {
        var deepest = self
        for key in invalid.keys {
            guard let child = deepest.child(key) else { break }
            deepest = child
        }
        let field = invalid.field
        let full: String
        if invalid.keys.isEmpty {
            full = path
        } else {
            full = path.isEmpty || field.hasPrefix("[") ? path + field : path + "." + field
        }
        return source.error(at: full, line: deepest.node.mark?.line, invalid.message)
    }

    /// The value at one key (or list index) below this node, when there is one.
    func child(_ key: InvalidSetting.Key) -> ConfigNode? {
        switch key {
        case .name(let name):
            return (try? entries())?.first { $0.key == name }?.value
        case .index(let index):
            let items = (try? list()) ?? []
            return items.indices.contains(index) ? items[index] : nil
        }
    }

    /// `~`, `null` or an empty value: the key's default applies.
    var isNull: Bool {
        if case .scalar = node, node.tagName == .null { return true }
        return false
    }

    // MARK: Mappings

    /// One entry of a mapping.
    struct Entry {
        var key: String
        /// Line of the key itself (errors about the key point there, not at its value).
        var keyLine: Int?
        var value: ConfigNode
    }

    /// The entries of a mapping, in file order, merge keys applied. Keys must be scalars.
    func entries() throws(AgentConfigurationError) -> [Entry] {
        guard case .mapping(let mapping) = node else { throw error("expected a mapping, got \(kind)") }
        var merged: [Entry] = []
        var own: [Entry] = []
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key else {
                throw ConfigNode(node: key, path: path, source: source).error("mapping keys must be plain strings")
            }
            if key.tagName == .merge {
                let origin = ConfigNode(node: value, path: childPath("<<"), source: source)
                let sources: [ConfigNode]
                switch value {
                case .mapping: sources = [origin]
                case .sequence(let sequence):
                    sources = sequence.enumerated().map {
                        ConfigNode(node: $0.element, path: origin.path + "[\($0.offset)]", source: source)
                    }
                default: throw origin.error("a merge key takes a mapping or a list of mappings, got \(origin.kind)")
                }
                for item in sources {
                    for entry in try item.entries() where !merged.contains(where: { $0.key == entry.key }) {
                        // Errors inside merged values name the key where they are used.
                        let value = ConfigNode(node: entry.value.node, path: childPath(entry.key), source: source)
                        merged.append(Entry(key: entry.key, keyLine: entry.keyLine, value: value))
                    }
                }
                continue
            }
            let child = ConfigNode(node: value, path: childPath(scalar.string), source: source)
            own.append(Entry(key: scalar.string, keyLine: key.mark?.line, value: child))
        }
        let ownKeys = Set(own.map(\.key))
        return merged.filter { !ownKeys.contains($0.key) } + own
    }

    /// The entries of a mapping whose keys must all be in `allowed`; an unknown key is an error
    /// naming it. Keys with a null value are left out (their defaults apply).
    func fields(_ allowed: [String]) throws(AgentConfigurationError) -> Fields {
        var values: [String: ConfigNode] = [:]
        for entry in try entries() {
            guard allowed.contains(entry.key) else {
                throw source.error(
                    at: entry.value.path, line: entry.keyLine,
                    "unknown key (allowed here: \(allowed.sorted().joined(separator: ", ")))"
                )
            }
            if !entry.value.isNull { values[entry.key] = entry.value }
        }
        return Fields(values: values)
    }

    /// Checked fields of one mapping.
    struct Fields {
        let values: [String: ConfigNode]
        subscript(key: String) -> ConfigNode? { values[key] }
    }

    // MARK: Scalars

    func int() throws(AgentConfigurationError) -> Int {
        guard node.tagName == .int, let value = node.int else { throw error("expected an integer, got \(kind)") }
        return value
    }

    func bool() throws(AgentConfigurationError) -> Bool {
        guard node.tagName == .bool, let value = node.bool else { throw error("expected true or false, got \(kind)") }
        return value
    }

    /// An integer or a decimal number (finite).
    func number() throws(AgentConfigurationError) -> Double {
        guard node.tagName == .int || node.tagName == .float,
            let value = node.tagName == .int ? node.int.map(Double.init) : node.float
        else { throw error("expected a number, got \(kind)") }
        guard value.isFinite else { throw error("must be a finite number, got \(kind)") }
        return value
    }

    /// A string; numbers are taken as written (`instance_id: 7`), booleans and null are refused
    /// (quote `"on"` / `"yes"` to mean the word).
    func string() throws(AgentConfigurationError) -> String {
        guard case .scalar(let scalar) = node, [.str, .int, .float].contains(node.tagName) else {
            throw error("expected a string, got \(kind)")
        }
        return scalar.string
    }

    /// The string turned into a value by a validating constructor (`RateLimitPolicy.Strategy(named:)`);
    /// its refusal is reported at this node.
    func checked<Value>(_ make: (String) throws(InvalidSetting) -> Value) throws(AgentConfigurationError) -> Value {
        let text = try string()
        do throws(InvalidSetting) {
            return try make(text)
        } catch {
            throw self.error(error.message)
        }
    }

    /// Any scalar as written (`true`, `5`, `plaintext`), for passthrough values.
    func scalarText() throws(AgentConfigurationError) -> String {
        guard case .scalar(let scalar) = node, node.tagName != .null else {
            throw error("expected a value, got \(kind)")
        }
        return scalar.string
    }

    /// A list of strings.
    func strings() throws(AgentConfigurationError) -> [String] {
        try list().map { item throws(AgentConfigurationError) in try item.string() }
    }

    func list() throws(AgentConfigurationError) -> [ConfigNode] {
        guard case .sequence(let sequence) = node else { throw error("expected a list, got \(kind)") }
        return sequence.enumerated().map { ConfigNode(node: $0.element, path: path + "[\($0.offset)]", source: source) }
    }

    // MARK: Helpers

    /// What the node is, for "expected X, got Y".
    var kind: String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            switch node.tagName {
            case .null: return "null"
            case .bool: return "a boolean (\(scalar.string))"
            case .int: return "an integer (\(scalar.string))"
            case .float: return "a number (\(scalar.string))"
            default: return "a string (\"\(scalar.string.prefix(40))\")"
            }
        }
    }

    private func childPath(_ key: String) -> String {
        let component = InvalidSetting.render([.name(key)])
        return path.isEmpty ? component : path + "." + component
    }

    private static func describe(_ error: YamlError) -> String {
        if case .duplicatedKeysInMapping(let duplicates, let context) = error {
            let keys = duplicates.sorted().map { "'\($0)'" }.joined(separator: ", ")
            return "line \(context.mark.line): duplicated key(s) \(keys) in one mapping"
        }
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let during = context.map { " (\($0.text) at line \($0.mark.line), column \($0.mark.column))" } ?? ""
            return "line \(mark.line), column \(mark.column): \(problem)\(during)"
        default:
            // Yams' own text may end with a snippet of the document; the first line says what.
            return String(String(describing: error).split(separator: "\n", omittingEmptySubsequences: true).first ?? "")
        }
    }
}

extension Node {
    /// The resolved tag (`tag:yaml.org,2002:int`, ...): a plain `5` is an int, a quoted `"5"` a string.
    var tagName: Tag.Name { Tag.Name(rawValue: tag.rawValue) }

    /// `<<`, the key of a merge.
    var isMergeKey: Bool { tagName == .merge }
}
