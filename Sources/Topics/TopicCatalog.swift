import Foundation
public import Kafka
import Yams

/// The project's topics, read from the YAML files in `topics/`.
///
/// A file lists topic templates; `{provider}` in a name expands to every provider of the catalog:
///
/// ```yaml
/// providers: [openai, anthropic, local]
/// topics:
///   - name: llm.requests.{provider}
///     partitions: 12
///     configs: {retention.ms: "604800000"}
///   - name: llm.ledger.{provider}
///     same_partitions_as: llm.requests.{provider}
///     configs: {cleanup.policy: "compact,delete"}
/// ```
///
/// `replication_factor` defaults to 1 and can be overridden for a whole catalog (3 on a real
/// cluster). `same_partitions_as` keeps partition counts of related topics equal (a ledger must
/// mirror its request topic's partitions).
public struct TopicCatalog: Sendable, Hashable {
    public var providers: [String]
    public var templates: [TopicTemplate]

    public init(providers: [String], templates: [TopicTemplate]) {
        self.providers = providers
        self.templates = templates
    }

    /// Reads every `*.yaml` / `*.yml` file of `directory` (sorted by name) into one catalog.
    public static func load(directory: String) throws(TopicCatalogError) -> TopicCatalog {
        let url = URL(fileURLWithPath: directory, isDirectory: true)
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: url.path)
        } catch {
            throw TopicCatalogError(
                file: directory, message: "cannot read the topics directory: \(error.localizedDescription)")
        }
        let files = names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        guard !files.isEmpty else {
            throw TopicCatalogError(file: directory, message: "no *.yaml topic files in the directory")
        }
        var catalog = TopicCatalog(providers: [], templates: [])
        for name in files {
            let path = url.appendingPathComponent(name).path
            let text: String
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw TopicCatalogError(
                    file: path, message: "cannot read the file as UTF-8 text: \(error.localizedDescription)")
            }
            let part = try parse(text, file: path)
            for provider in part.providers where !catalog.providers.contains(provider) {
                catalog.providers.append(provider)
            }
            catalog.templates += part.templates
        }
        try catalog.validate(file: directory)
        return catalog
    }

    /// Parses one topics file; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws(TopicCatalogError) -> TopicCatalog {
        let document: TopicFile
        do {
            document = try YAMLDecoder().decode(TopicFile.self, from: text)
        } catch let error as DecodingError {
            throw TopicCatalogError(file: file, message: Self.describe(error))
        } catch {
            throw TopicCatalogError(file: file, message: "not valid YAML: \(error)")
        }
        return TopicCatalog(providers: document.providers ?? [], templates: document.topics)
    }

    /// The concrete topics: templates expanded per provider, `prefix` prepended to every name,
    /// `replicationFactor` (when given) replacing every template's own.
    public func topics(prefix: String = "", replicationFactor: Int? = nil) throws(TopicCatalogError) -> [KafkaTopicSpec]
    {
        var specs: [KafkaTopicSpec] = []
        for template in templates {
            let partitions = try resolvePartitions(of: template, depth: 0)
            for name in template.expandedNames(providers: providers) {
                let spec = KafkaTopicSpec(
                    name: prefix + name,
                    partitions: partitions,
                    replicationFactor: replicationFactor ?? template.replicationFactor ?? 1,
                    configs: template.configs ?? [:]
                )
                do { try spec.validate() } catch { throw TopicCatalogError(file: "topics", message: error.message) }
                specs.append(spec)
            }
        }
        return specs
    }

    private func resolvePartitions(of template: TopicTemplate, depth: Int) throws(TopicCatalogError) -> Int {
        guard depth < 8 else {
            throw TopicCatalogError(
                file: "topics", message: "topic '\(template.name)': same_partitions_as references form a cycle")
        }
        if let partitions = template.partitions { return partitions }
        guard let reference = template.samePartitionsAs else {
            throw TopicCatalogError(
                file: "topics", message: "topic '\(template.name)' needs 'partitions' or 'same_partitions_as'")
        }
        guard let target = templates.first(where: { $0.name == reference }) else {
            throw TopicCatalogError(
                file: "topics",
                message: "topic '\(template.name)': same_partitions_as names '\(reference)', which is not defined"
            )
        }
        if reference.contains(TopicTemplate.providerPlaceholder),
            !template.name.contains(TopicTemplate.providerPlaceholder)
        {
            throw TopicCatalogError(
                file: "topics",
                message:
                    "topic '\(template.name)': same_partitions_as '\(reference)' is per provider but the topic is not"
            )
        }
        return try resolvePartitions(of: target, depth: depth + 1)
    }

    private func validate(file: String) throws(TopicCatalogError) {
        var seen = Set<String>()
        for template in templates {
            guard seen.insert(template.name).inserted else {
                throw TopicCatalogError(file: file, message: "topic '\(template.name)' is defined twice")
            }
            if template.name.contains(TopicTemplate.providerPlaceholder), providers.isEmpty {
                throw TopicCatalogError(
                    file: file, message: "topic '\(template.name)' uses {provider} but no providers are listed")
            }
        }
        for provider in providers {
            let valid =
                !provider.isEmpty
                && provider.unicodeScalars.allSatisfy {
                    ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_"
                }
            guard valid else {
                throw TopicCatalogError(
                    file: file, message: "provider name '\(provider)' must be lowercase letters, digits, '-' or '_'")
            }
        }
        _ = try topics()
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return keys.isEmpty
                ? "the document" : "'" + keys.joined(separator: ".").replacingOccurrences(of: ".[", with: "[") + "'"
        }
        switch error {
        case .keyNotFound(let key, let context):
            let location = context.codingPath.isEmpty ? "the document" : path(context)
            return "missing required key '\(key.stringValue)' in \(location)"
        case .typeMismatch(let type, let context):
            return "\(path(context)) has the wrong type (expected \(type)): \(context.debugDescription)"
        case .valueNotFound(let type, let context):
            return "\(path(context)) is empty (expected \(type))"
        case .dataCorrupted(let context):
            return "\(path(context)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}

/// One entry of a topics file.
public struct TopicTemplate: Sendable, Hashable, Codable {
    static let providerPlaceholder = "{provider}"

    public var name: String
    public var partitions: Int?
    public var samePartitionsAs: String?
    public var replicationFactor: Int?
    public var configs: [String: String]?
    public var description: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, partitions, description, configs
        case samePartitionsAs = "same_partitions_as"
        case replicationFactor = "replication_factor"
    }

    public init(from decoder: any Decoder) throws {
        // Unknown keys are typos: refuse them by name.
        let raw = try decoder.container(keyedBy: AnyKey.self)
        let known = Set(CodingKeys.allCases.map(\.rawValue))
        if let unknown = raw.allKeys.first(where: { !known.contains($0.stringValue) }) {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath + [unknown],
                    debugDescription:
                        "unknown key '\(unknown.stringValue)' (allowed: \(known.sorted().joined(separator: ", ")))"
                ))
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        partitions = try container.decodeIfPresent(Int.self, forKey: .partitions)
        samePartitionsAs = try container.decodeIfPresent(String.self, forKey: .samePartitionsAs)
        replicationFactor = try container.decodeIfPresent(Int.self, forKey: .replicationFactor)
        configs = try container.decodeIfPresent([String: String].self, forKey: .configs)
        description = try container.decodeIfPresent(String.self, forKey: .description)
        if partitions != nil, samePartitionsAs != nil {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath,
                    debugDescription: "topic '\(name)' sets both 'partitions' and 'same_partitions_as'; choose one"
                ))
        }
    }

    public init(
        name: String, partitions: Int? = nil, samePartitionsAs: String? = nil, replicationFactor: Int? = nil,
        configs: [String: String]? = nil, description: String? = nil
    ) {
        self.name = name
        self.partitions = partitions
        self.samePartitionsAs = samePartitionsAs
        self.replicationFactor = replicationFactor
        self.configs = configs
        self.description = description
    }

    func expandedNames(providers: [String]) -> [String] {
        guard name.contains(Self.providerPlaceholder) else { return [name] }
        return providers.map { name.replacingOccurrences(of: Self.providerPlaceholder, with: $0) }
    }
}

/// A topics file or directory that cannot be used; names the file and the problem.
public struct TopicCatalogError: Error, Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var message: String

    public var description: String { "\(file): \(message)" }
}

private struct TopicFile: Decodable {
    var providers: [String]?
    var topics: [TopicTemplate]

    enum CodingKeys: String, CodingKey, CaseIterable { case providers, topics }

    init(from decoder: any Decoder) throws {
        let raw = try decoder.container(keyedBy: AnyKey.self)
        let known = Set(CodingKeys.allCases.map(\.rawValue))
        if let unknown = raw.allKeys.first(where: { !known.contains($0.stringValue) }) {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: [unknown],
                    debugDescription: "unknown key '\(unknown.stringValue)' (allowed: providers, topics)"
                ))
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        providers = try container.decodeIfPresent([String].self, forKey: .providers)
        topics = try container.decode([TopicTemplate].self, forKey: .topics)
    }
}

private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) {
        self.stringValue = String(intValue)
        self.intValue = intValue
    }
}
