import Foundation
import Hummingbird
import HTTPTypes
import NIOCore

/// `POST /v1/chat/completions` (JSON, or SSE with `stream: true`, usage chunk with
/// `stream_options.include_usage`), `GET /v1/models`; OpenAI-style errors and rate-limit headers.
struct OpenAIRoutes: Sendable {
    let upstream: FakeUpstream

    static let models = ["gpt-4o", "gpt-4o-mini", "gpt-4.1", "o3-mini"]

    func register(on router: Router<BasicRequestContext>) {
        router.post("v1/chat/completions") { request, _ in await completions(request) }
        router.get("v1/models") { _, _ in
            upstream.json(["object": "list", "data": Self.models.map { ["id": $0, "object": "model", "created": 1_700_000_000, "owned_by": "fake-upstream"] }])
        }
    }

    static var rateLimitHeaders: HTTPFields {
        [
            HTTPField.Name("x-ratelimit-limit-requests")!: "10000", HTTPField.Name("x-ratelimit-remaining-requests")!: "9999",
            HTTPField.Name("x-ratelimit-reset-requests")!: "6ms", HTTPField.Name("x-ratelimit-limit-tokens")!: "2000000",
            HTTPField.Name("x-ratelimit-remaining-tokens")!: "1999000", HTTPField.Name("x-ratelimit-reset-tokens")!: "30ms",
        ]
    }

    func error(_ status: HTTPResponse.Status, type: String, message: String, headers: HTTPFields = [:]) -> Response {
        upstream.json(["error": ["message": message, "type": type, "param": NSNull(), "code": NSNull()]], status: status, headers: headers)
    }

    func completions(_ request: Request) async -> Response {
        let fault = upstream.fault(of: request)
        let latency = upstream.latency(of: request)
        guard let body = await upstream.body(of: request) else {
            return error(.badRequest, type: "invalid_request_error", message: "We could not parse the JSON body of your request.")
        }
        guard let model = body["model"] as? String, !model.isEmpty else {
            return error(.badRequest, type: "invalid_request_error", message: "you must provide a model parameter")
        }
        guard let messages = body["messages"] as? [[String: Any]], !messages.isEmpty else {
            return error(.badRequest, type: "invalid_request_error", message: "'messages' must be a non-empty array")
        }
        guard Self.models.contains(model) else {
            return error(.notFound, type: "invalid_request_error", message: "The model `\(model)` does not exist or you do not have access to it.")
        }
        switch fault {
        case .tooManyRequests?:
            var headers = Self.rateLimitHeaders
            headers[.retryAfter] = "\(upstream.configuration.retryAfterSeconds)"
            headers[HTTPField.Name("x-ratelimit-remaining-requests")!] = "0"
            return error(.tooManyRequests, type: "requests", message: "Rate limit reached for requests", headers: headers)
        case .serverError?: return error(.internalServerError, type: "server_error", message: "The server had an error while processing your request.")
        case .unavailable?, .overloaded?: return error(.serviceUnavailable, type: "server_error", message: "The engine is currently overloaded, please try again later")
        default: break
        }
        if latency > .zero { try? await Task.sleep(for: latency) }
        if fault == .malformed { return upstream.malformed() }
        let completion = FakeCompletion(provider: "openai", model: model, messages: messages)
        let id = FakeUpstream.id("chatcmpl-")
        let created = Int(Date().timeIntervalSince1970)
        let usage: [String: Any] = [
            "prompt_tokens": completion.promptTokens, "completion_tokens": completion.completionTokens,
            "total_tokens": completion.promptTokens + completion.completionTokens,
        ]
        // With tools offered and a user asking for them ("call <tool>" or "use a tool"), the answer
        // is a call of the first tool, arguments echoing the question: tool-use paths get tested.
        let tools = body["tools"] as? [[String: Any]] ?? []
        let lastUser = FakeCompletion.text(of: messages.last { $0["role"] as? String == "user" }?["content"])
        if let tool = tools.first, let function = tool["function"] as? [String: Any], let toolName = function["name"] as? String,
           lastUser.lowercased().contains("call \(toolName.lowercased())") || lastUser.lowercased().contains("use a tool"),
           body["tool_choice"] as? String != "none", body["stream"] as? Bool != true {
            let arguments = (try? JSONSerialization.data(withJSONObject: ["question": lastUser])).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
            return upstream.json([
                "id": id, "object": "chat.completion", "created": created, "model": model, "system_fingerprint": "fp_fake",
                "choices": [[
                    "index": 0, "logprobs": NSNull(), "finish_reason": "tool_calls",
                    "message": [
                        "role": "assistant", "content": NSNull(), "refusal": NSNull(),
                        "tool_calls": [["id": FakeUpstream.id("call_"), "type": "function", "function": ["name": toolName, "arguments": arguments]]],
                    ] as [String: Any],
                ] as [String: Any]],
                "usage": usage,
            ], headers: Self.rateLimitHeaders)
        }
        guard body["stream"] as? Bool == true else {
            return upstream.json([
                "id": id, "object": "chat.completion", "created": created, "model": model, "system_fingerprint": "fp_fake",
                "choices": [["index": 0, "message": ["role": "assistant", "content": completion.text, "refusal": NSNull()], "logprobs": NSNull(), "finish_reason": "stop"]],
                "usage": usage,
            ], headers: Self.rateLimitHeaders)
        }
        let includeUsage = (body["stream_options"] as? [String: Any])?["include_usage"] as? Bool == true
        let pieces = completion.pieces(upstream.configuration.streamChunks)
        let slowFirstByte = fault == .slowFirstByte
        let cut = fault == .cut
        // Serialised here: the writer closure may only capture Sendable values.
        let usageChunk = includeUsage ? FakeUpstream.sse([
            "id": id, "object": "chat.completion.chunk", "created": created, "model": model, "system_fingerprint": "fp_fake",
            "choices": [[String: Any]](), "usage": usage,
        ]) : nil
        return upstream.stream(contentType: "text/event-stream", headers: Self.rateLimitHeaders) { writer in
            if slowFirstByte { try await Task.sleep(for: .seconds(2)) }
            func chunk(_ delta: [String: Any], finish: Any = NSNull()) -> [String: Any] {
                var object: [String: Any] = [
                    "id": id, "object": "chat.completion.chunk", "created": created, "model": model, "system_fingerprint": "fp_fake",
                    "choices": [["index": 0, "delta": delta, "logprobs": NSNull(), "finish_reason": finish]],
                ]
                if includeUsage { object["usage"] = NSNull() }
                return object
            }
            try await writer.write(FakeUpstream.sse(chunk(["role": "assistant", "content": "", "refusal": NSNull()])))
            for (index, piece) in pieces.enumerated() {
                if cut, index == pieces.count / 2 { try await FakeUpstream.cut() }  // the connection ends mid-stream
                try await writer.write(FakeUpstream.sse(chunk(["content": piece])))
            }
            try await writer.write(FakeUpstream.sse(chunk([:], finish: "stop")))
            if let usageChunk { try await writer.write(usageChunk) }
            try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
            try await writer.finish(nil)
        }
    }
}
