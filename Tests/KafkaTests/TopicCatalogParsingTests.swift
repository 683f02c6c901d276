import Kafka
import Testing
import Topics

@Suite("Topic file parsing")
struct TopicCatalogParsingTests {
    let valid = """
        providers: [openai, anthropic]
        topics:
          - name: llm.requests.{provider}
            partitions: 6
            configs: {retention.ms: "1000"}
          - name: llm.ledger.{provider}
            same_partitions_as: llm.requests.{provider}
            configs: {cleanup.policy: "compact,delete"}
          - name: llm.status
            partitions: 2
            replication_factor: 3
            configs: {cleanup.policy: compact}
        """

    @Test("templates expand per provider, with prefix and partition references")
    func expands() throws {
        let catalog = try TopicCatalog.parse(valid, file: "t.yaml")
        let topics = try catalog.topics(prefix: "dev.")
        #expect(
            topics.map(\.name) == [
                "dev.llm.requests.openai", "dev.llm.requests.anthropic",
                "dev.llm.ledger.openai", "dev.llm.ledger.anthropic", "dev.llm.status",
            ])
        #expect(topics.first { $0.name == "dev.llm.ledger.openai" }?.partitions == 6)
        #expect(topics.first { $0.name == "dev.llm.ledger.openai" }?.configs == ["cleanup.policy": "compact,delete"])
        #expect(topics.first { $0.name == "dev.llm.status" }?.replicationFactor == 3)
        #expect(topics.first { $0.name == "dev.llm.requests.openai" }?.replicationFactor == 1)
        #expect(try catalog.topics(replicationFactor: 2).allSatisfy { $0.replicationFactor == 2 })
    }

    @Test(
        "malformed files are refused with the file and the problem named",
        arguments: [
            ("topics:\n  - name: a\n    partitons: 3\n", "partitons"),
            ("topics:\n  - name: a\n    partitions: twelve\n", "partitions"),
            ("topics:\n  - partitions: 3\n", "name"),
            ("providers: [x]\n", "topics"),
            ("topics: [\n", "t.yaml"),
            ("topics:\n  - name: a\n    partitions: 1\n    same_partitions_as: b\n", "same_partitions_as"),
            ("topic:\n  - name: a\n", "topic"),
        ]
    )
    func malformed(text: String, named: String) throws {
        let error = try #require(throws: TopicCatalogError.self) {
            let catalog = try TopicCatalog.parse(text, file: "t.yaml")
            _ = try catalog.topics()
        }
        #expect(error.description.contains(named), "\(error)")
        #expect(error.description.hasPrefix("t.yaml"), "\(error)")
    }

    @Test(
        "invalid catalogs are refused",
        arguments: [
            ("topics:\n  - name: a\n    same_partitions_as: missing\n", "missing"),
            ("topics:\n  - name: 'bad name!'\n    partitions: 1\n", "bad name!"),
            ("topics:\n  - name: a\n    partitions: 0\n", "partitions must be at least 1"),
            ("topics:\n  - name: a\n", "needs 'partitions'"),
            ("topics:\n  - name: a\n    partitions: 1\n    replication_factor: 0\n", "replication factor"),
        ]
    )
    func invalid(text: String, named: String) throws {
        let error = try #require(throws: TopicCatalogError.self) {
            _ = try TopicCatalog.parse(text, file: "t.yaml").topics()
        }
        #expect(error.description.contains(named), "\(error)")
    }

    @Test("a directory without topic files is refused")
    func emptyDirectory() throws {
        let error = try #require(throws: TopicCatalogError.self) {
            _ = try TopicCatalog.load(directory: "/nonexistent-topics-dir")
        }
        #expect(error.file == "/nonexistent-topics-dir")
    }

    @Test("topic specs follow Kafka's naming rules")
    func specValidation() throws {
        #expect(throws: KafkaError.self) { try KafkaTopicSpec(name: "", partitions: 1).validate() }
        #expect(throws: KafkaError.self) {
            try KafkaTopicSpec(name: String(repeating: "a", count: 250), partitions: 1).validate()
        }
        #expect(throws: KafkaError.self) {
            try KafkaTopicSpec(name: "ok", partitions: 1, replicationFactor: 0).validate()
        }
        try KafkaTopicSpec(name: "llm.requests.open-ai_1", partitions: 1).validate()
    }
}
