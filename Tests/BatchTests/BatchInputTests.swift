import Batch
import Foundation
import Testing

@Suite("Batch input: the lines' checks")
struct BatchInputTests {
    private static func line(_ id: String, url: String = "/v1/chat/completions") -> String {
        #"{"custom_id": "\#(id)", "method": "POST", "url": "\#(url)", "body": {"model": "m", "messages": []}}"#
    }

    @Test("good lines are read in order, blank lines skipped, line numbers kept")
    func good() throws {
        let text = [Self.line("a"), "", Self.line("b") + "\r"].joined(separator: "\n") + "\n"
        let input = try BatchInput.parse(Data(text.utf8)).get()
        #expect(input.lines.map(\.customID) == ["a", "b"])
        #expect(input.lines.map(\.number) == [1, 3])
        let body = try #require(try JSONSerialization.jsonObject(with: input.lines[0].body) as? [String: Any])
        #expect(body["model"] as? String == "m")
    }

    @Test("every bad line is named by its number and what is wrong")
    func bad() {
        let text = [
            Self.line("a"), "not json", #"{"method": "POST", "url": "/v1/chat/completions", "body": {}}"#,
            Self.line("a"), Self.line("c", url: "/v1/embeddings"),
            #"{"custom_id": "d", "method": "GET", "url": "/v1/chat/completions", "body": {}}"#,
            #"{"custom_id": "e", "method": "POST", "url": "/v1/chat/completions", "body": 3}"#,
        ].joined(separator: "\n")
        guard case .failure(let problems) = BatchInput.parse(Data(text.utf8)) else {
            Issue.record("a file with bad lines must not parse")
            return
        }
        #expect(problems.errors.map(\.line) == [2, 3, 4, 5, 6, 7])
        #expect(
            problems.errors.map(\.code) == [
                "invalid_json_line", "missing_required_parameter", "duplicate_custom_id", "invalid_url",
                "invalid_method", "missing_required_parameter",
            ])
        #expect(problems.errors[2].message.contains("line 1"), "a duplicate names the first line")
    }

    @Test("limits: an empty file, too many lines")
    func limits() {
        guard case .failure(let empty) = BatchInput.parse(Data("\n\n".utf8)) else {
            Issue.record("an empty file must not parse")
            return
        }
        #expect(empty.errors.map(\.code) == ["empty_file"])
        let many = (0...BatchInput.maxLines).map { Self.line("id-\($0)") }.joined(separator: "\n")
        guard case .failure(let tooMany) = BatchInput.parse(Data(many.utf8)) else {
            Issue.record("50,001 lines must not parse")
            return
        }
        #expect(tooMany.errors.map(\.code) == ["too_many_lines"])
        #expect(tooMany.errors.first?.line == BatchInput.maxLines + 1)
    }
}
