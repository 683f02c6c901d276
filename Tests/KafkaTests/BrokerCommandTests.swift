import Foundation
import Kafka
import KafkaTestSupport
import Testing

/// `provider-agents broker` as a separate process: other processes share it over loopback.
@Suite("provider-agents broker (separate process)", .timeLimit(.minutes(2)))
struct BrokerCommandTests {
    /// The built CLI sits beside the test bundle (`swift build --build-tests` builds both).
    static var cliPath: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
            "provider-agents"
        ).path
    }

    static let topicsDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("topics").path

    @Test("prints its bootstrap address, serves the topics of topics/ to another process, stops on SIGTERM")
    func brokerProcess() async throws {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent(uniqueName("broker") + ".log").path
        let broker = try ChildProcess(
            executable: Self.cliPath, arguments: ["broker", "--topics-dir", Self.topicsDirectory], logFile: log)
        defer { broker.stop() }
        @Sendable func printedBootstrap() -> String? {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").first { $0.hasPrefix("bootstrap: ") }.map {
                String($0.dropFirst("bootstrap: ".count))
            }
        }
        try await waitUntil("the broker prints its bootstrap address", timeout: .seconds(20)) {
            printedBootstrap() != nil
        }
        let address = try #require(printedBootstrap())
        #expect(address.hasPrefix("127.0.0.1:"))

        let producer = try KafkaProducer(configuration: .init(bootstrapServers: address))
        let metadata = try await producer.metadata()
        #expect(try metadata.partitionCount(of: "llm.requests.openai") == 12)
        #expect(try metadata.partitionCount(of: "llm.ledger.anthropic") == 12)
        let receipt = try await producer.send(KafkaProducerMessage(topic: "llm.status", key: "agent-1", value: "{}"))
        #expect(receipt.offset == 0)
        await producer.close()

        broker.stop(grace: .seconds(10))
        let output = try String(contentsOfFile: log, encoding: .utf8)
        #expect(output.contains("broker stopped"), "graceful shutdown on SIGTERM: \(output)")
    }
}
