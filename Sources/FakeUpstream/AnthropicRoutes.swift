import Foundation
import Hummingbird
import HTTPTypes
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

    static var rateLimitHeaders: HTTPFields {
        [
            HTTPField.Name("anthropic-ratelimit-requests-limit")!: "4000", HTTPField.Name("anthropic-ratelimit-requests-remaining")!: "3999",
            HTTPField.Name("anthropic-ratelimit-requests-reset")!: "2030-01-01T00:00:00Z",
            HTTPField.Name("anthropic-ratelimit-tokens-limit")!: "400000", HTTPField.Name("anthropic-ratelimit-tokens-remaining")!: "399000",
            HTTPField.Name("anthropic-ratelimit-tokens-reset")!: "2030-01-01T00:00:00Z",
            HTTPField.Name("request-id")!: FakeUpstream.id("req_"),
        ]
    }

    func error(_ status: HTTPResponse.Status, type: String, message: String, headers: HTTPFields = [:]) -> Response {
        upstream.json(["type": "error", "error": ["type": type, "message": message]], status: status, headers: headers)
    }

    func messages(_ request: Request) async -> Response {
        let fault = upstream.fault(of: request)
        let latency = upstream.latency(of: request)
        // The key comes as `x-api-key`, or (newer SDKs) as `authorization: Bearer …`.
        guard request.headers[HTTPField.Name("x-api-key")!] != nil || request.headers[.authorization]?.hasPrefix("Bearer ") == true else {
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
            return error(.badRequest, type: "invalid_request_error", message: "messages: at least one message is required")
        }
        guard Self.models.contains(model) else {
            return error(.notFound, type: "not_found_error", message: "model: \(model)")
        }
        switch fault {
        case .tooManyRequests?:
            var headers = Self.rateLimitHeaders
            headers[.retryAfter] = "\(upstream.configuration.retryAfterSeconds)"
            return error(.tooManyRequests, type: "rate_limit_error", message: "Number of requests has exceeded your rate limit", headers: headers)
        case .serverError?: return error(.internalServerError, type: "api_error", message: "Internal server error")
        case .unavailable?: return error(.serviceUnavailable, type: "api_error", message: "Service unavailable")
        case .overloaded?: return error(HTTPResponse.Status(code: 529, reasonPhrase: "Overloaded"), type: "overloaded_error", message: "Overloaded")
        default: break
        }
        if latency > .zero { try? await Task.sleep(for: latency) }
        if fault == .malformed { return upstream.malformed() }
        let system = FakeCompletion.text(of: body["system"])
        let completion = FakeCompletion(provider: "anthropic", model: model, messages: messages, system: system)
        let id = FakeUpstream.id("msg_")
        guard body["stream"] as? Bool == true else {
            return upstream.json([
                "id": id, "type": "message", "role": "assistant", "model": model,
                "content": [["type": "text", "text": completion.text]],
                "stop_reason": "end_turn", "stop_sequence": NSNull(),
                "usage": ["input_tokens": completion.promptTokens, "output_tokens": completion.completionTokens],
            ], headers: Self.rateLimitHeaders)
        }
        let pieces = completion.pieces(upstream.configuration.streamChunks)
        let slowFirstByte = fault == .slowFirstByte
        let cut = fault == .cut
        return upstream.stream(contentType: "text/event-stream", headers: Self.rateLimitHeaders) { writer in
            if slowFirstByte { try await Task.sleep(for: .seconds(2)) }
            try await writer.write(FakeUpstream.sse(event: "message_start", [
                "type": "message_start",
                "message": [
                    "id": id, "type": "message", "role": "assistant", "model": model, "content": [Any](),
                    "stop_reason": NSNull(), "stop_sequence": NSNull(),
                    "usage": ["input_tokens": completion.promptTokens, "output_tokens": 1],
                ] as [String: Any],
            ]))
            try await writer.write(FakeUpstream.sse(event: "content_block_start", ["type": "content_block_start", "index": 0, "content_block": ["type": "text", "text": ""]]))
            try await writer.write(FakeUpstream.sse(event: "ping", ["type": "ping"]))
            for (index, piece) in pieces.enumerated() {
                if cut, index == pieces.count / 2 { try await FakeUpstream.cut() }
                try await writer.write(FakeUpstream.sse(event: "content_block_delta", [
                    "type": "content_block_delta", "index": 0, "delta": ["type": "text_delta", "text": piece],
                ]))
            }
            try await writer.write(FakeUpstream.sse(event: "content_block_stop", ["type": "content_block_stop", "index": 0]))
            try await writer.write(FakeUpstream.sse(event: "message_delta", [
                "type": "message_delta", "delta": ["stop_reason": "end_turn", "stop_sequence": NSNull()],
                "usage": ["output_tokens": completion.completionTokens],
            ]))
            try await writer.write(FakeUpstream.sse(event: "message_stop", ["type": "message_stop"]))
            try await writer.finish(nil)
        }
    }
}
