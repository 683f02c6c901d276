import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `POST /v1/messages` (JSON, or SSE events with `stream: true`): an API key (`x-api-key`, or
/// `authorization: Bearer` as newer SDKs send it) and
/// `anthropic-version` required, `max_tokens` required, system prompt, Anthropic-style errors
/// (429 with `retry-after`, 529 overloaded) and rate-limit headers.
struct AnthropicRoutes: Sendable {
    let upstream: FakeUpstream

    static let models = ["claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1", "claude-3-5-haiku-latest"]

    func register(on router: Router<BasicRequestContext>) {
        router.post("v1/messages") { request, _ in await messages(request) }
    }

    /// The account's real figures when a limit is simulated, else generous static ones.
    static func rateLimitHeaders(_ account: FakeAccount.Snapshot?) -> HTTPFields {
        guard let account else { return rateLimitHeaders }
        // RFC 3339 in whole seconds, as Anthropic sends it: rounded up, never before the real reset.
        let end = (Date().timeIntervalSince1970 + Double(FakeUpstream.ceilingMilliseconds(account.resetIn)) / 1000)
            .rounded(.up)
        let reset = Date(timeIntervalSince1970: end).ISO8601Format()
        var headers = rateLimitHeaders
        headers[HTTPField.Name("anthropic-ratelimit-requests-limit")!] = "\(account.limit)"
        headers[HTTPField.Name("anthropic-ratelimit-requests-remaining")!] = "\(account.remaining)"
        headers[HTTPField.Name("anthropic-ratelimit-requests-reset")!] = reset
        return headers
    }

    /// A generous account whose buckets are nearly full and refill within the next second (as a
    /// real one's do when it is far from its limits).
    static var rateLimitHeaders: HTTPFields {
        let reset = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 1).rounded(.up)).ISO8601Format()
        return [
            HTTPField.Name("anthropic-ratelimit-requests-limit")!: "20000",
            HTTPField.Name("anthropic-ratelimit-requests-remaining")!: "19999",
            HTTPField.Name("anthropic-ratelimit-requests-reset")!: reset,
            HTTPField.Name("anthropic-ratelimit-tokens-limit")!: "10000000",
            HTTPField.Name("anthropic-ratelimit-tokens-remaining")!: "9999000",
            HTTPField.Name("anthropic-ratelimit-tokens-reset")!: reset,
            HTTPField.Name("request-id")!: FakeUpstream.id("req_"),
        ]
    }

    func error(_ status: HTTPResponse.Status, type: String, message: String, headers: HTTPFields = [:]) -> Response {
        upstream.json(
            ["type": "error", "error": ["type": type, "message": message]], status: status, headers: headers)
    }

    func messages(_ request: Request) async -> Response {
        // The key comes as `x-api-key`, or (newer SDKs) as `authorization: Bearer …`.
        guard
            request.headers[HTTPField.Name("x-api-key")!] != nil
                || request.headers[.authorization]?.hasPrefix("Bearer ") == true
        else {
            return error(.unauthorized, type: "authentication_error", message: "x-api-key header is required")
        }
        guard request.headers[HTTPField.Name("anthropic-version")!] != nil else {
            return error(.badRequest, type: "invalid_request_error", message: "anthropic-version: header is required")
        }
        guard let body = await upstream.body(of: request) else {
            return error(.badRequest, type: "invalid_request_error", message: "The request body is not valid JSON.")
        }
        guard let model = body["model"] as? String, !model.isEmpty else {
            return error(.badRequest, type: "invalid_request_error", message: "model: Field required")
        }
        guard let maxTokens = body["max_tokens"] as? Int, maxTokens >= 1 else {
            return error(.badRequest, type: "invalid_request_error", message: "max_tokens: Field required")
        }
        guard let messages = body["messages"] as? [[String: Any]], !messages.isEmpty else {
            return error(
                .badRequest, type: "invalid_request_error", message: "messages: at least one message is required")
        }
        if let problem = Self.invalidImage(in: messages) ?? Self.invalidTools(body["tools"]) {
            return error(.badRequest, type: "invalid_request_error", message: problem)
        }
        guard Self.models.contains(model) else {
            return error(.notFound, type: "not_found_error", message: "model: \(model)")
        }
        let decision = upstream.decide(request, provider: .anthropic, model: model)
        if let answer = await upstream.prelude(decision, error: { faultError($0, account: decision.account) }) {
            return answer
        }
        let system = FakeCompletion.text(of: body["system"])
        let completion = FakeCompletion(provider: "anthropic", model: model, messages: messages, system: system)
        let id = FakeUpstream.id("msg_")
        let toolNames = (body["tools"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        let toolCall = FakeToolCall(
            messages: messages, toolNames: toolNames, choice: Self.toolChoice(body["tool_choice"]), idPrefix: "toolu_")
        let stopReason = decision.finishReason(toolCall == nil ? "end_turn" : "tool_use")
        let outputTokens = toolCall.map { max(1, $0.arguments.count / 4) } ?? completion.completionTokens
        guard body["stream"] as? Bool == true else {
            let content: [[String: Any]] =
                if let toolCall {
                    [["type": "tool_use", "id": toolCall.id, "name": toolCall.name, "input": Self.input(of: toolCall)]]
                } else {
                    [["type": "text", "text": completion.text]]
                }
            return upstream.json(
                [
                    "id": id, "type": "message", "role": "assistant", "model": model, "content": content,
                    "stop_reason": stopReason, "stop_sequence": NSNull(),
                    "usage": ["input_tokens": completion.promptTokens, "output_tokens": outputTokens],
                ], headers: Self.rateLimitHeaders(decision.account))
        }
        // Serialised here: the writer closure may only capture Sendable values.
        var events = [
            FakeUpstream.sse(
                event: "message_start",
                [
                    "type": "message_start",
                    "message": [
                        "id": id, "type": "message", "role": "assistant", "model": model, "content": [Any](),
                        "stop_reason": NSNull(), "stop_sequence": NSNull(),
                        "usage": ["input_tokens": completion.promptTokens, "output_tokens": 1],
                    ] as [String: Any],
                ])
        ]
        if let toolCall {
            events.append(
                FakeUpstream.sse(
                    event: "content_block_start",
                    [
                        "type": "content_block_start", "index": 0,
                        "content_block": [
                            "type": "tool_use", "id": toolCall.id, "name": toolCall.name, "input": [String: Any](),
                        ] as [String: Any],
                    ]))
            events.append(FakeUpstream.sse(event: "ping", ["type": "ping"]))
            for fragment in toolCall.argumentFragments(upstream.configuration.streamChunks) {
                events.append(
                    FakeUpstream.sse(
                        event: "content_block_delta",
                        [
                            "type": "content_block_delta", "index": 0,
                            "delta": ["type": "input_json_delta", "partial_json": fragment],
                        ]))
            }
        } else {
            events.append(
                FakeUpstream.sse(
                    event: "content_block_start",
                    ["type": "content_block_start", "index": 0, "content_block": ["type": "text", "text": ""]]))
            events.append(FakeUpstream.sse(event: "ping", ["type": "ping"]))
            for piece in completion.pieces(upstream.configuration.streamChunks) {
                events.append(
                    FakeUpstream.sse(
                        event: "content_block_delta",
                        [
                            "type": "content_block_delta", "index": 0, "delta": ["type": "text_delta", "text": piece],
                        ]))
            }
        }
        events.append(FakeUpstream.sse(event: "content_block_stop", ["type": "content_block_stop", "index": 0]))
        events.append(
            FakeUpstream.sse(
                event: "message_delta",
                [
                    "type": "message_delta", "delta": ["stop_reason": stopReason, "stop_sequence": NSNull()],
                    "usage": ["output_tokens": outputTokens],
                ]))
        events.append(FakeUpstream.sse(event: "message_stop", ["type": "message_stop"]))
        let frames = events
        let slowFirstByte = decision.slowFirstByte
        let cut = decision.cut
        return upstream.stream(contentType: "text/event-stream", headers: Self.rateLimitHeaders(decision.account)) {
            writer in
            if slowFirstByte { try await Task.sleep(for: .seconds(2)) }
            for (index, frame) in frames.enumerated() {
                if cut, index == frames.count / 2 { try await FakeUpstream.cut() }
                try await writer.write(frame)
            }
            try await writer.finish(nil)
        }
    }

    static func input(of call: FakeToolCall) -> Any {
        (try? JSONSerialization.jsonObject(with: Data(call.arguments.utf8))) ?? [String: Any]()
    }

    /// `{"type": "auto" | "any" | "none" | "tool", "name": …}`; absent: auto.
    static func toolChoice(_ value: Any?) -> FakeToolCall.Choice {
        guard let object = value as? [String: Any] else { return .auto }
        switch object["type"] as? String {
        case "any": return .required
        case "none": return .none
        case "tool": return (object["name"] as? String).map { .named($0) } ?? .auto
        default: return .auto
        }
    }

    static let imageMediaTypes = ["image/jpeg", "image/png", "image/gif", "image/webp"]

    /// What is wrong with the first bad image block, in Anthropic's words (path, problem).
    static func invalidImage(in messages: [[String: Any]]) -> String? {
        for (messageIndex, message) in messages.enumerated() {
            guard let blocks = message["content"] as? [[String: Any]] else { continue }
            for (blockIndex, block) in blocks.enumerated() where block["type"] as? String == "image" {
                let path = "messages.\(messageIndex).content.\(blockIndex).image.source"
                guard let source = block["source"] as? [String: Any] else { return "\(path): Field required" }
                switch source["type"] as? String {
                case "base64":
                    let mediaType = source["media_type"] as? String ?? ""
                    guard imageMediaTypes.contains(mediaType) else {
                        return
                            """
                            \(path).base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or \
                            'image/webp'
                            """
                    }
                    guard let data = source["data"] as? String, !data.isEmpty, Data(base64Encoded: data) != nil else {
                        return "\(path).base64.data: The image data is not valid base64."
                    }
                case "url":
                    guard let url = source["url"] as? String, url.hasPrefix("https://") || url.hasPrefix("http://")
                    else {
                        return "\(path).url.url: Input should be a valid URL"
                    }
                default:
                    return
                        """
                        \(path).type: Input tag '\(source["type"] ?? "")' found using 'type' does not match any of \
                        the expected tags: 'base64', 'url'
                        """
                }
            }
        }
        return nil
    }

    /// What is wrong with the first bad tool definition.
    static func invalidTools(_ value: Any?) -> String? {
        guard let value else { return nil }
        guard let tools = value as? [[String: Any]] else { return "tools: Input should be a valid list" }
        for (index, tool) in tools.enumerated() {
            guard let name = tool["name"] as? String, !name.isEmpty else {
                return "tools.\(index).name: Field required"
            }
            guard tool["input_schema"] is [String: Any] else { return "tools.\(index).input_schema: Field required" }
        }
        return nil
    }

    /// A fault's error in Anthropic's shape.
    func faultError(_ kind: FakeFault.HTTPErrorKind, account: FakeAccount.Snapshot? = nil) -> Response {
        switch kind {
        case .rateLimited:
            var headers = Self.rateLimitHeaders(account)
            headers[.retryAfter] =
                "\(account.map { FakeUpstream.ceilingSeconds($0.resetIn) } ?? upstream.configuration.retryAfterSeconds)"
            return error(
                .tooManyRequests, type: "rate_limit_error", message: "Number of requests has exceeded your rate limit",
                headers: headers)
        case .serverError: return error(.internalServerError, type: "api_error", message: "Internal server error")
        case .unavailable: return error(.serviceUnavailable, type: "api_error", message: "Service unavailable")
        case .overloaded:
            return error(
                HTTPResponse.Status(code: 529, reasonPhrase: "Overloaded"), type: "overloaded_error",
                message: "Overloaded")
        }
    }
}
