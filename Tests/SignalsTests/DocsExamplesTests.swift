import Foundation
import Signals
import Testing

@Suite("Signals: docs/signals.md examples")
struct DocsExamplesTests {
    static func jsonBlocks() throws -> [String] {
        let docs = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/signals.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        var blocks: [String] = []
        var current: [Substring]? = nil
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if var block = current {
                if line == "```" {
                    blocks.append(block.joined(separator: "\n"))
                    current = nil
                } else {
                    block.append(line)
                    current = block
                }
            } else if line == "```json" {
                current = []
            }
        }
        return blocks
    }

    @Test("every json block decodes and re-encodes to the same JSON; every signal type has one")
    func docsExamples() throws {
        let blocks = try Self.jsonBlocks()
        var seen: Set<SignalType> = []
        for block in blocks {
            let envelope = try SignalEnvelope.decode(bytes(block))
            seen.insert(envelope.type)
            #expect(try parsed(envelope.encoded()) == parsed(bytes(block)), "\(envelope.type)")
        }
        #expect(seen == Set(SignalType.allCases))
    }

    @Test("the docs examples are the test examples")
    func sameAsTestExamples() throws {
        let blocks = try Self.jsonBlocks()
        for (type, example) in SignalExamples.all {
            let expected = try parsed(bytes(example))
            #expect(try blocks.contains { try parsed(bytes($0)) == expected }, "\(type.rawValue)")
        }
    }
}
