public import Foundation

/// The lines of a batch input file (JSON Lines), checked: each
/// `{"custom_id": ..., "method": "POST", "url": "/v1/chat/completions", "body": {...}}`.
public struct BatchInput: Sendable, Hashable {
    /// One line to run.
    public struct Line: Sendable, Hashable {
        /// 1-based, as the errors name it.
        public var number: Int
        public var customID: String
        public var url: String
        /// The request body, as the line wrote it.
        public var body: Data
    }

    /// OpenAI's limits.
    public static let maxLines = 50_000
    public static let maxBytes = 200 * 1_024 * 1_024
    /// The endpoints a line may name.
    public static let urls: Set<String> = ["/v1/chat/completions"]

    public var lines: [Line]

    /// Why an input file cannot run: every bad line, each naming its number.
    public struct Problems: Error, Sendable, Hashable {
        public var errors: [BatchJob.LineError]
    }

    /// Checks every line; all problems are returned (each naming its line), not only the first.
    /// Blank lines are skipped.
    public static func parse(_ bytes: Data) -> Result<BatchInput, Problems> {
        guard bytes.count <= maxBytes else {
            return .failure(
                Problems(errors: [
                    .init(code: "file_too_large", message: "the input file has \(bytes.count) bytes, over \(maxBytes)")
                ]))
        }
        var lines: [Line] = []
        var errors: [BatchJob.LineError] = []
        var seen: [String: Int] = [:]
        var number = 0
        for raw in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            number += 1
            let text = raw.last == 0x0D ? raw.dropLast() : raw
            if text.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            guard lines.count + errors.count < maxLines else {
                errors.append(
                    .init(
                        code: "too_many_lines", message: "the input file has more than \(maxLines) requests",
                        line: number))
                break
            }
            guard let object = try? JSONSerialization.jsonObject(with: Data(text)) as? [String: Any] else {
                errors.append(
                    .init(code: "invalid_json_line", message: "line \(number) is not a JSON object", line: number))
                continue
            }
            guard let customID = object["custom_id"] as? String, !customID.isEmpty else {
                errors.append(
                    .init(
                        code: "missing_required_parameter", message: "line \(number) has no custom_id",
                        param: "custom_id", line: number))
                continue
            }
            if let first = seen[customID] {
                errors.append(
                    .init(
                        code: "duplicate_custom_id",
                        message: "line \(number) repeats custom_id '\(customID)' of line \(first)", param: "custom_id",
                        line: number))
                continue
            }
            seen[customID] = number
            guard (object["method"] as? String)?.uppercased() == "POST" else {
                errors.append(
                    .init(
                        code: "invalid_method", message: "line \(number): method must be POST", param: "method",
                        line: number))
                continue
            }
            guard let url = object["url"] as? String, urls.contains(url) else {
                errors.append(
                    .init(
                        code: "invalid_url",
                        message: "line \(number): url must be one of \(urls.sorted().joined(separator: ", "))",
                        param: "url", line: number))
                continue
            }
            guard let body = object["body"] as? [String: Any],
                let data = try? JSONSerialization.data(withJSONObject: body)
            else {
                errors.append(
                    .init(
                        code: "missing_required_parameter", message: "line \(number): body must be a JSON object",
                        param: "body", line: number))
                continue
            }
            lines.append(Line(number: number, customID: customID, url: url, body: data))
        }
        if lines.isEmpty, errors.isEmpty {
            errors.append(.init(code: "empty_file", message: "the input file has no requests"))
        }
        return errors.isEmpty ? .success(BatchInput(lines: lines)) : .failure(Problems(errors: errors))
    }
}
