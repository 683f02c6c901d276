import Foundation
import Kafka
import KafkaTestSupport
import ProviderAgentsCommands
import Testing
import Topics

/// `provider-agents topics apply` against a real broker.
@Suite("Tansu: topics apply", .timeLimit(.minutes(2)))
struct TopicsApplyTests {
    static let topicsDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("topics").path

    @Test("applying twice is harmless: everything created once, then reported as existing, with partitions and configs")
    func applyTwice() async throws {
        let broker = try await TansuBroker.shared()
        let prefix = uniqueName("env") + "."
        let arguments = [
            "topics", "apply", "--bootstrap", broker.bootstrapServers, "--topics-dir", Self.topicsDirectory, "--prefix",
            prefix,
        ]
        for _ in 0..<2 {
            try await ProviderAgentsCommand.run(arguments: arguments)
        }
        let expected = try TopicCatalog.load(directory: Self.topicsDirectory).topics(prefix: prefix)
        let admin = try KafkaAdmin(configuration: KafkaConfiguration(bootstrapServers: broker.bootstrapServers))
        let again = try await admin.createTopics(expected)
        #expect(again.count == expected.count)
        #expect(again.values.allSatisfy { $0 == .alreadyExisted })
        let metadata = try await admin.metadata()
        for topic in expected {
            #expect(try metadata.partitionCount(of: topic.name) == topic.partitions, "\(topic.name)")
        }
        let status = try await admin.topicConfigs(prefix + "llm.status")
        #expect(status["cleanup.policy"] == "compact")
    }
}
