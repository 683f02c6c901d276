import Foundation
import Kafka
import Testing
import Topics

// The real topics/ directory against the topic families of docs/architecture.md and their required configs.

@Suite("topics/ matches the design")
struct TopicCatalogFileTests {
    static let providers = ["openai", "anthropic", "local"]

    let catalog: TopicCatalog
    let topics: [String: KafkaTopicSpec]

    init() throws {
        let directory = try packageRoot().appendingPathComponent("topics").path
        catalog = try TopicCatalog.load(directory: directory)
        let specs = try catalog.topics()
        topics = Dictionary(specs.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        #expect(topics.count == specs.count, "a topic name occurs twice")
    }

    private func policy(_ name: String) -> Set<String> {
        let value = topics[name]?.configs["cleanup.policy"] ?? "delete"
        return Set(value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
    }

    @Test func listsEveryProvider() {
        #expect(Set(Self.providers).isSubset(of: Set(catalog.providers)), "providers: \(catalog.providers)")
    }

    @Test func everyTopicFamilyExists() {
        var expected = ["llm.responses", "llm.errors", "llm.status", "llm.router.requests", "llm.dlq"]
        for provider in Self.providers {
            expected += ["llm.requests.\(provider)", "llm.control.\(provider)", "llm.ledger.\(provider)"]
        }
        for name in expected {
            #expect(topics[name] != nil, "topic \(name) is missing; defined: \(topics.keys.sorted())")
        }
    }

    @Test func everyTopicHasPartitionsAndAReplicationFactor() {
        for topic in topics.values.sorted(by: { $0.name < $1.name }) {
            #expect(topic.partitions >= 1, "\(topic.name) has \(topic.partitions) partitions")
            #expect(topic.replicationFactor >= 1, "\(topic.name) has replication factor \(topic.replicationFactor)")
        }
    }

    @Test func ledgerMirrorsItsRequestTopic() throws {
        for provider in Self.providers {
            let requests = try #require(topics["llm.requests.\(provider)"])
            let ledger = try #require(topics["llm.ledger.\(provider)"])
            #expect(
                ledger.partitions == requests.partitions,
                """
                llm.ledger.\(provider) has \(ledger.partitions) partitions, llm.requests.\(provider) \
                \(requests.partitions)
                """
            )
        }
    }

    @Test(
        """
        ledgers and the router journal are deleted by age, never compacted (their batches have unique keys), and \
        keep records well beyond the dedup window
        """
    )
    func journalsAreKeptByAge() throws {
        for name in Self.providers.map({ "llm.ledger.\($0)" }) + ["llm.router.journal"] {
            #expect(policy(name) == ["delete"], "\(name) cleanup.policy is \(policy(name).sorted())")
            let retention = try #require(
                topics[name]?.configs["retention.ms"].flatMap { Int64($0) }, "\(name) sets no retention.ms")
            #expect(
                retention >= 86_400_000,
                "\(name) keeps its records only \(retention) ms; at least a day (the window is minutes)")
        }
    }

    @Test func controlAndStatusAreCompacted() {
        for name in Self.providers.map({ "llm.control.\($0)" }) + ["llm.status"] {
            #expect(policy(name) == ["compact"], "\(name) cleanup.policy is \(policy(name).sorted())")
        }
    }

    @Test func requestAndResultTopicsAreNotCompacted() {
        // Keyed by request_id: compaction would keep only one signal per request.
        let names =
            Self.providers.map { "llm.requests.\($0)" } + [
                "llm.responses", "llm.errors", "llm.router.requests", "llm.router.delays", "llm.dlq",
            ]
        for name in names {
            #expect(!policy(name).contains("compact"), "\(name) must not be compacted")
        }
    }
}
