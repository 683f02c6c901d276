import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `POST /v1/chat/completions` (JSON, or SSE with `stream: true`, usage chunk with
/// `stream_options.include_usage`), `GET /v1/models`; OpenAI-style errors and rate-limit headers.
struct OpenAIRoutes: Sendable {
    let upstream: FakeUpstream

    static let models = ["gpt-4o", "gpt-4o-mini", "gpt-4.1", "o3-mini"]

    func register(on router: Router<BasicRequestContext>) {
        router.post("v1/chat/completions") { request, _ in await completions(request) }
        router.get("v1/models") { _, _ in
            upstream.json([
                "object": "list",
                "data": Self.models.map {
                    ["id": $0, "object": "model", "created": 1_700_000_000, "owned_by": "fake-upstream"]
                },
            ])
        }
    }

    /// The account's real figures when a limit is simulated, else generous static ones.
    static func rateLimitHeaders(_ account: FakeAccount.Snapshot?) -> HTTPFields {
        guard let account else { return rateLimitHeaders }
        let reset = "\(FakeUpstream.ceilingMilliseconds(account.resetIn))ms"
        return [
            HTTPField.Name("x-ratelimit-limit-requests")!: "\(account.limit)",
            HTTPField.Name("x-ratelimit-remaining-requests")!: "\(account.remaining)",
            HTTPField.Name("x-ratelimit-reset-requests")!: reset,
            HTTPField.Name("x-ratelimit-limit-tokens")!: "2000000",
            HTTPField.Name("x-ratelimit-remaining-tokens")!: "1999000",
            HTTPField.Name("x-ratelimit-reset-tokens")!: "30ms",
        ]
    }

    static var rateLimitHeaders: HTTPFields {
        [
            HTTPField.Name("x-ratelimit-limit-requests")!: "10000",
            HTTPField.Name("x-ratelimit-remaining-requests")!: "9999",
            HTTPField.Name("x-ratelimit-reset-requests")!: "6ms",
            HTTPField.Name("x-ratelimit-limit-tokens")!: "2000000",
            HTTPField.Name("x-ratelimit-remaining-tokens")!: "1999000",
            HTTPField.Name("x-ratelimit-reset-tokens")!: "30ms",
        ]
    }

    func error(_ status: HTTPResponse.Status, type: String, message: String, headers: HTTPFields = [:]) -> Response {
        upstream.json(
            ["error": ["message": message, "type": type, "param": NSNull(), "code": NSNull()]], status: status,
            headers: headers)
    }

    func completions(_ request: Request) async -> Response {
        guard let body = await upstream.body(of: request) else {
            return error(
                .badRequest, type: "invalid_request_error", message: "We could not parse the JSON body of your request."
            )
        }
        guard let model = body["model"] as? String, !model.isEmpty else {
            return error(.badRequest, type: "invalid_request_error", message: "you must provide a model parameter")
        }
        guard let messages = body["messages"] as? [[String: Any]], !messages.isEmpty else {
            return error(.badRequest, type: "invalid_request_error", message: "'messages' must be a non-empty array")
        }
        guard Self.models.contains(model) else {
            return error(
                .notFound, type: "invalid_request_error",
                message: "The model `\(model)` does not exist or you do not have access to it.")
        }
        let decision = upstream.decide(request, provider: .openai, model: model)
        if let answer = await upstream.prelude(decision, error: { faultError($0, account: decision.account) }) {
            return answer
        }
        let completion = FakeCompletion(provider: "openai", model: model, messages: messages)
        let id = FakeUpstream.id("chatcmpl-")
        let created = Int(Date().timeIntervalSince1970)
        let usage: [String: Any] = [
            "prompt_tokens": completion.promptTokens, "completion_tokens": completion.completionTokens,
            "total_tokens": completion.promptTokens + completion.completionTokens,
        ]
        let streaming = body["stream"] as? Bool == true
        // With tools offered and a user asking for them ("call <tool>" or "use a tool"), the answer
        // is a call of the first tool, arguments echoing the question: tool-use paths get tested.
        let toolNames = (body["tools"] as? [[String: Any]] ?? []).compactMap {
            ($0["function"] as? [String: Any])?["name"] as? String
        }
        let toolCall = FakeToolCall(
            messages: messages, toolNames: toolNames, choice: Self.toolChoice(body["tool_choice"]), idPrefix: "call_")
        if let toolCall, !streaming {
            return upstream.json(
                [
                    "id": id, "object": "chat.completion", "created": created, "model": model,
                    "system_fingerprint": "fp_fake",
                    "choices": [
                        [
                            "index": 0, "logprobs": NSNull(), "finish_reason": decision.finishReason("tool_calls"),
                            "message": [
                                "role": "assistant", "content": NSNull(), "refusal": NSNull(),
                                "tool_calls": [
                                    [
                                        "id": toolCall.id, "type": "function",
                                        "function": ["name": toolCall.name, "arguments": toolCall.arguments],
                                    ]
                                ],
                            ] as [String: Any],
                        ] as [String: Any]
                    ],
                    "usage": usage,
                ], headers: Self.rateLimitHeaders(decision.account))
        }
        guard streaming else {
            return upstream.json(
                [
                    "id": id, "object": "chat.completion", "created": created, "model": model,
                    "system_fingerprint": "fp_fake",
                    "choices": [
                        [
                            "index": 0,
                            "message": ["role": "assistant", "content": completion.text, "refusal": NSNull()],
                            "logprobs": NSNull(), "finish_reason": decision.finishReason("stop"),
                        ]
                    ],
                    "usage": usage,
                ], headers: Self.rateLimitHeaders(decision.account))
        }
        let includeUsage = (body["stream_options"] as? [String: Any])?["include_usage"] as? Bool == true
        let slowFirstByte = decision.slowFirstByte
        let cut = decision.cut
        // Serialised here: the writer closure may only capture Sendable values.
        func chunk(_ delta: [String: Any], finish: Any = NSNull()) -> ByteBuffer {
            var object: [String: Any] = [
                "id": id, "object": "chat.completion.chunk", "created": created, "model": model,
                "system_fingerprint": "fp_fake",
                "choices": [["index": 0, "delta": delta, "logprobs": NSNull(), "finish_reason": finish]],
            ]
            if includeUsage { object["usage"] = NSNull() }
            return FakeUpstream.sse(object)
        }
        var chunks = [chunk(["role": "assistant", "content": toolCall == nil ? "" : NSNull(), "refusal": NSNull()])]
        if let toolCall {
            // The call's id and name first, then the arguments in fragments, as OpenAI streams them.
            chunks.append(
                chunk([
                    "tool_calls": [
                        [
                            "index": 0, "id": toolCall.id, "type": "function",
                            "function": ["name": toolCall.name, "arguments": ""],
                        ] as [String: Any]
                    ]
                ]))
            for fragment in toolCall.argumentFragments(upstream.configuration.streamChunks) {
                chunks.append(
                    chunk(["tool_calls": [["index": 0, "function": ["arguments": fragment]] as [String: Any]]]))
            }
            chunks.append(chunk([:], finish: decision.finishReason("tool_calls")))
        } else {
            for piece in completion.pieces(upstream.configuration.streamChunks) {
                chunks.append(chunk(["content": piece]))
            }
            chunks.append(chunk([:], finish: decision.finishReason("stop")))
        }
        if includeUsage {
            chunks.append(
                FakeUpstream.sse([
                    "id": id, "object": "chat.completion.chunk", "created": created, "model": model,
                    "system_fingerprint": "fp_fake",
                    "choices": [[String: Any]](), "usage": usage,
                ]))
        }
        chunks.append(ByteBuffer(string: "data: [DONE]\n\n"))
        let frames = chunks
        return upstream.stream(contentType: "text/event-stream", headers: Self.rateLimitHeaders(decision.account)) {
            writer in
            if slowFirstByte { try await Task.sleep(for: .seconds(2)) }
            for (index, frame) in frames.enumerated() {
                if cut, index == frames.count / 2 { try await FakeUpstream.cut() }  // the connection ends mid-stream
                try await writer.write(frame)
            }
            try await writer.finish(nil)
        }
    }

    /// `"auto"` (the default), `"none"`, `"required"`, or `{"type": "function", "function": {"name": …}}`.
    static func toolChoice(_ value: Any?) -> FakeToolCall.Choice {
        switch value {
        case let text as String: text == "none" ? .none : text == "required" ? .required : .auto
        case let object as [String: Any]:
            ((object["function"] as? [String: Any])?["name"] as? String).map { .named($0) } ?? .auto
        default: .auto
        }
    }

    /// A fault's error in OpenAI's shape.
    func faultError(_ kind: FakeFault.HTTPErrorKind, account: FakeAccount.Snapshot? = nil) -> Response {
        switch kind {
        case .rateLimited:
            var headers = Self.rateLimitHeaders(account)
            headers[.retryAfter] =
                "\(account.map { FakeUpstream.ceilingSeconds($0.resetIn) } ?? upstream.configuration.retryAfterSeconds)"
            if let account {
                headers[HTTPField.Name("retry-after-ms")!] = "\(FakeUpstream.ceilingMilliseconds(account.resetIn))"
            }
            headers[HTTPField.Name("x-ratelimit-remaining-requests")!] = "0"
            return error(
                .tooManyRequests, type: "requests", message: "Rate limit reached for requests", headers: headers)
        case .serverError:
            return error(
                .internalServerError, type: "server_error",
                message: "The server had an error while processing your request.")
        case .unavailable, .overloaded:
            return error(
                .serviceUnavailable, type: "server_error",
                message: "The engine is currently overloaded, please try again later")
        }
    }
}
