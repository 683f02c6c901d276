public import Foundation

/// One line's outcome, recorded on `llm.batch.results` under `<batch id>/<custom_id>`, and the
/// line it becomes in the output file (answered) or the error file (failed):
/// `{"id", "custom_id", "response": {"status_code", "request_id", "body"}, "error"}`.
public struct BatchResult: Sendable, Hashable {
    public var customID: String
    public var requestID: String
    public var statusCode: Int
    /// The answer's body as the API would have answered it (a chat completion, or an error body).
    public var body: Data

    /// Why a line got no answer at all (`response` is then null and `error` says this).
    public var failure: Failure?

    /// OpenAI's line `error`: `{"code", "message"}`.
    public struct Failure: Sendable, Hashable {
        public var code: String
        public var message: String

        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }

    public init(customID: String, requestID: String, statusCode: Int, body: Data, failure: Failure? = nil) {
        self.customID = customID
        self.requestID = requestID
        self.statusCode = statusCode
        self.body = body
        self.failure = failure
    }

    /// A line not run before the job's window closed (error file, code `batch_expired`).
    public static func expired(customID: String, requestID: String) -> BatchResult {
        BatchResult(
            customID: customID, requestID: requestID, statusCode: 0, body: Data(),
            failure: Failure(
                code: "batch_expired",
                message: "This request could not be executed before the completion window expired."))
    }

    /// Answered (goes to the output file) rather than failed (the error file).
    public var succeeded: Bool { failure == nil && statusCode == 200 }

    /// The record's key: results of one batch share its prefix.
    public static func key(batch: String, customID: String) -> String { "\(batch)/\(customID)" }

    /// The output or error file's line (no line break).
    public var line: Data {
        let object: [String: Any]
        if let failure {
            object = [
                "id": "batch_req_\(requestID)", "custom_id": customID, "response": NSNull(),
                "error": ["code": failure.code, "message": failure.message],
            ]
        } else {
            let body = (try? JSONSerialization.jsonObject(with: body)) ?? String(decoding: self.body, as: UTF8.self)
            object = [
                "id": "batch_req_\(requestID)", "custom_id": customID,
                "response": ["status_code": statusCode, "request_id": requestID, "body": body],
                "error": NSNull(),
            ]
        }
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data()
    }

    /// The record (the line itself: it holds every field).
    public var record: Data { line }

    public static func decode(_ data: Data) -> BatchResult? {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let customID = object["custom_id"] as? String
        else { return nil }
        if let error = object["error"] as? [String: Any], let code = error["code"] as? String,
            let message = error["message"] as? String, let id = object["id"] as? String, id.hasPrefix("batch_req_")
        {
            return BatchResult(
                customID: customID, requestID: String(id.dropFirst("batch_req_".count)), statusCode: 0, body: Data(),
                failure: Failure(code: code, message: message))
        }
        guard let response = object["response"] as? [String: Any],
            let statusCode = response["status_code"] as? Int, let requestID = response["request_id"] as? String,
            let body = response["body"],
            let bodyData = try? JSONSerialization.data(withJSONObject: body, options: [.fragmentsAllowed])
        else { return nil }
        return BatchResult(customID: customID, requestID: requestID, statusCode: statusCode, body: bodyData)
    }

    /// The output and error files of a batch: the recorded results in input order.
    public static func files(_ results: [String: BatchResult], order: [String]) -> (output: Data, errors: Data) {
        var output = Data()
        var errors = Data()
        for customID in order {
            guard let result = results[customID] else { continue }
            if result.succeeded {
                output += result.line + [0x0A]
            } else {
                errors += result.line + [0x0A]
            }
        }
        return (output, errors)
    }
}
