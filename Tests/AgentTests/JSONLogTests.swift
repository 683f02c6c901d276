import Foundation
import KafkaTestSupport
import Logging
import ProviderAgentsCommands
import Synchronization
import Testing

/// `--log-format json`: every line one JSON object with the fixed members and the metadata under
/// its dotted keys.
@Suite("Logs as JSON")
struct JSONLogTests {
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
    }

    @Test("a line holds time, level, label, message, source and each metadata key, nested values as JSON")
    func handler() throws {
        let lines = Lines()
        var logger = Logger(label: "provider-agents.test") { label in
            JSONLogHandler(label: label) { line in lines.lines.withLock { $0.append(line) } }
        }
        logger.logLevel = .info
        logger[metadataKey: "worker.name"] = "agent/openai/a"
        logger.debug("below the level")
        logger.error(
            "publish failed \"quoted\"\nsecond line",
            metadata: [
                "kafka.topic": "llm.requests.openai", "kafka.partitions": .array(["0", "1"]),
                "kafka.offset": .stringConvertible(42), "nested": .dictionary(["a": "b"]),
            ])
        let written = lines.lines.withLock { $0 }
        #expect(written.count == 1, "one line, the debug one left out")
        let line = try #require(written.first)
        #expect(line.hasSuffix("\n") && line.dropLast().contains("\n") == false, "one line per event: \(line)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["level"] as? String == "error")
        #expect(object["label"] as? String == "provider-agents.test")
        #expect(object["message"] as? String == "publish failed \"quoted\"\nsecond line")
        #expect(object["worker.name"] as? String == "agent/openai/a")
        #expect(object["kafka.topic"] as? String == "llm.requests.openai")
        #expect(object["kafka.partitions"] as? [String] == ["0", "1"])
        #expect(object["kafka.offset"] as? String == "42")
        #expect((object["nested"] as? [String: String]) == ["a": "b"])
        let time = try #require(object["time"] as? String)
        #expect(
            try Date(time, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true)) <= Date())
        #expect(object["source"] is String)
    }

    @Test("a process started with --log-format json logs JSON lines only, its failure at error")
    func process() async throws {
        let log = CLIProcesses.logFile("json-log")
        let process = try ChildProcess(
            executable: AgentCommandTests.cliPath,
            arguments: [
                "agent", "--provider", "openai", "--bootstrap", "127.0.0.1:1", "--connect-timeout", "1",
                "--log-format", "json", "--log-level", "info",
            ],
            logFile: log)
        try await waitUntil("the agent gives up on the broker", timeout: .seconds(60)) { !process.isRunning }
        #expect(process.exitCode != 0)
        let all = CLIProcesses.output(log).split(separator: "\n")
        let lines = all.filter { $0.hasPrefix("{") }
        #expect(!lines.isEmpty, "\(CLIProcesses.output(log))")
        // Besides the log, only the command's own last word (how it ended) is plain text.
        let plain = all.filter { !$0.hasPrefix("{") }
        #expect(plain.count == 1 && plain[0].hasPrefix("Error: broker_unreachable"), "\(plain)")
        let objects = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(objects.count == lines.count, "every log line parses")
        #expect(
            objects.contains { $0["level"] as? String == "info" && $0["message"] as? String == "agent configuration" })
        #expect(objects.contains { $0["level"] as? String == "error" }, "the failure is logged at error")
        #expect(objects.allSatisfy { ($0["label"] as? String)?.hasPrefix("provider-agents.") == true })
    }

    @Test("an unknown format is refused naming the option")
    func badFormat() throws {
        #expect(throws: (any Error).self) {
            _ = try AgentCommand.parseAsRoot(["--provider", "openai", "--log-format", "xml"])
        }
    }
}
