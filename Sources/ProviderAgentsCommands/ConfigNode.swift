import Yams

/// A node of a YAML configuration file together with its key path, read strictly: every accessor
/// checks the YAML type (a quoted `"5"` is not a number, `5` is not a list) and every error names
/// the file, the line and the key path.
///
/// Anchors and aliases work as YAML defines them; merge keys (`<<: *defaults`) are applied, the
/// mapping's own keys winning over merged ones.
struct ConfigNode {
    let node: Node
    /// Dotted key path from the document root (`agents.openai.rate_limit`), list items as `[i]`.
    let path: String
    let file: String

    /// Parses `text`; an empty document is an empty mapping.
    static func document(_ text: String, file: String) throws(AgentConfigurationError) -> ConfigNode {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw AgentConfigurationError(file: file, key: "", message: "not valid YAML: \(Self.describe(error))")
        } catch {
            throw AgentConfigurationError(file: file, key: "", message: "not valid YAML: \(error)")
        }
        return ConfigNode(node: root ?? Node.mapping(Node.Mapping([])), path: "", file: file)
    }

    func error(_ message: String) -> AgentConfigurationError {
        AgentConfigurationError(file: file, line: node.mark?.line, key: path, message: message)
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
                throw ConfigNode(node: key, path: path, file: file).error("mapping keys must be plain strings")
            }
            if key.tagName == .merge {
                let source = ConfigNode(node: value, path: child("<<"), file: file)
                let sources: [ConfigNode]
                switch value {
                case .mapping: sources = [source]
                case .sequence(let sequence): sources = sequence.enumerated().map { ConfigNode(node: $0.element, path: source.path + "[\($0.offset)]", file: file) }
                default: throw source.error("a merge key takes a mapping or a list of mappings, got \(source.kind)")
                }
                for item in sources {
                    for entry in try item.entries() where !merged.contains(where: { $0.key == entry.key }) {
                        // Errors inside merged values name the key where they are used.
                        merged.append(Entry(key: entry.key, keyLine: entry.keyLine, value: ConfigNode(node: entry.value.node, path: child(entry.key), file: file)))
                    }
                }
                continue
            }
            own.append(Entry(key: scalar.string, keyLine: key.mark?.line, value: ConfigNode(node: value, path: child(scalar.string), file: file)))
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
                throw AgentConfigurationError(
                    file: file, line: entry.keyLine, key: entry.value.path,
                    message: "unknown key (allowed here: \(allowed.sorted().joined(separator: ", ")))"
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

    func int(atLeast minimum: Int, atMost maximum: Int = .max) throws(AgentConfigurationError) -> Int {
        let value = try int()
        guard value >= minimum else { throw error("must be >= \(minimum), got \(value)") }
        guard value <= maximum else { throw error("must be <= \(maximum), got \(value)") }
        return value
    }

    func bool() throws(AgentConfigurationError) -> Bool {
        guard node.tagName == .bool, let value = node.bool else { throw error("expected true or false, got \(kind)") }
        return value
    }

    /// An integer or a decimal number (finite).
    func number() throws(AgentConfigurationError) -> Double {
        guard node.tagName == .int || node.tagName == .float, let value = node.tagName == .int ? node.int.map(Double.init) : node.float
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

    func nonEmptyString() throws(AgentConfigurationError) -> String {
        let value = try string()
        guard !value.isEmpty else { throw error("must not be empty") }
        return value
    }

    /// Any scalar as written (`true`, `5`, `plaintext`), for passthrough values.
    func scalarText() throws(AgentConfigurationError) -> String {
        guard case .scalar(let scalar) = node, node.tagName != .null else { throw error("expected a value, got \(kind)") }
        return scalar.string
    }

    func list() throws(AgentConfigurationError) -> [ConfigNode] {
        guard case .sequence(let sequence) = node else { throw error("expected a list, got \(kind)") }
        return sequence.enumerated().map { ConfigNode(node: $0.element, path: path + "[\($0.offset)]", file: file) }
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

    private func child(_ key: String) -> String {
        let plain = !key.isEmpty && key.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-"
        }
        let component = plain ? key : "\"\(key)\""
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
    fileprivate var tagName: Tag.Name { Tag.Name(rawValue: tag.rawValue) }
}
