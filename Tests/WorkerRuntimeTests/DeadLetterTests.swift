import Foundation
import Kafka
import Testing
import WorkerRuntime

@Suite("Dead letters")
struct DeadLetterTests {
    @Test("a dead letter keeps the message's bytes and adds the code, the reason, the source and the worker")
    func headers() {
        let original = KafkaConsumerMessage(
            topic: "llm.requests.p", partition: 2, offset: 41, key: Array("k".utf8), value: [0xFF, 0x00, 0x7B],
            headers: [KafkaHeader(key: "x", value: "y")]
        )
        let letter = DeadLetter.message(
            for: original, code: "invalidJSON", reason: "not JSON", worker: "agent/p/1", topic: "llm.dlq")
        #expect(letter.topic == "llm.dlq" && letter.key == original.key && letter.value == original.value)
        #expect(
            letter.headers == [
                KafkaHeader(key: "x", value: "y"), KafkaHeader(key: "dlq-code", value: "invalidJSON"),
                KafkaHeader(key: "dlq-reason", value: "not JSON"),
                KafkaHeader(key: "dlq-source", value: "llm.requests.p/2/41"),
                KafkaHeader(key: "dlq-worker", value: "agent/p/1"),
            ])
        let cut = DeadLetter.truncated(letter, keeping: 2)
        #expect(cut.value == [0xFF, 0x00])
        #expect(cut.headers.last == KafkaHeader(key: "dlq-truncated", value: "first 2 of 3 bytes"))
    }

    @Test("docs/signals.md names exactly the headers a dead letter carries")
    func documented() throws {
        let docs = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/signals.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        let section = try #require(
            text.components(separatedBy: "## Dead letters").dropFirst().first?.components(separatedBy: "\n## ").first)
        let names = section.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("| `") else { return nil }
            return line.dropFirst(3).split(separator: "`").first.map(String.init)
        }
        #expect(names == DeadLetter.Header.all)
        #expect(
            !text.contains("error-code") && !text.contains("error-message"),
            "the headers of an earlier version are gone")
    }
}
