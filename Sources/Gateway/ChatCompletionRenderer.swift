import Common
public import Signals

/// OpenAI's answer shapes for one chat completion: the `chat.completion` object, the
/// `chat.completion.chunk`s of a stream (as server-sent events), and the stream's end.
public struct ChatCompletionRenderer: AnswerShape {
    /// `chatcmpl-<request id>`: a retry under the same idempotency key gets the same id.
    public var id: String
    /// As the client named it.
    public var model: String
    /// Seconds since the epoch.
    public var created: Int
    /// `stream_options.include_usage`: chunks carry `"usage": null`, and a last chunk the usage.
    public var includeUsage: Bool

    public init(requestID: String, model: String, created: Int, includeUsage: Bool = false) {
        id = "chatcmpl-\(requestID)"
        self.model = model
        self.created = created
        self.includeUsage = includeUsage
    }

    /// The whole `chat.completion` object.
    public func completion(_ response: ProviderResponse) -> [UInt8] {
        var json = JSONBytes(capacity: 320 + response.response.utf8.count)
        header(&json, object: "chat.completion")
        json.key("choices")
        json.raw("[")
        json.beginObject()
        json.member("index", 0)
        json.key("message")
        json.beginObject()
        json.member("role", "assistant")
        json.key("content")
        let calls = response.toolCalls ?? []
        if response.response.isEmpty, !calls.isEmpty { json.raw("null") } else { json.string(response.response) }
        if !calls.isEmpty {
            json.key("tool_calls")
            Self.write(calls, indexed: false, to: &json)
        }
        json.raw(",\"refusal\":null")
        json.endObject()
        json.raw(",\"logprobs\":null")
        json.member("finish_reason", Self.finishReason(response))
        json.endObject()
        json.raw("]")
        json.key("usage")
        Self.write(response.usage, to: &json)
        json.endObject()
        return json.bytes
    }

    /// The first event of a stream: the assistant's role, no content yet.
    public func opening() -> [UInt8] {
        chunkEvent { json in
            json.member("role", "assistant")
            json.member("content", "")
        }
    }

    /// One piece of the answer's text.
    public func delta(_ text: String) -> [UInt8] {
        chunkEvent { json in json.member("content", text) }
    }

    /// The closing events: the text when none was streamed, tool calls (if any) and the finish
    /// reason, the usage chunk when asked for, then `data: [DONE]`.
    public func closing(_ response: ProviderResponse, streamedText: Bool) -> [UInt8] {
        var events = streamedText || response.response.isEmpty ? [] : delta(response.response)
        events += chunkEvent(finishReason: Self.finishReason(response)) { json in
            if let calls = response.toolCalls, !calls.isEmpty {
                json.key("tool_calls")
                Self.write(calls, indexed: true, to: &json)
            }
        }
        if includeUsage {
            var json = JSONBytes(capacity: 256)
            header(&json, object: "chat.completion.chunk")
            json.raw(",\"choices\":[]")
            json.key("usage")
            Self.write(response.usage, to: &json)
            json.endObject()
            events += Self.event(json.bytes)
        }
        return events + Self.done
    }

    /// The end of every stream, also one that ends in an error.
    public static let done = Array("data: [DONE]\n\n".utf8)

    /// An error inside a stream already under way (the status line is sent): OpenAI's error body
    /// as one event, then the end.
    public func streamError(_ error: GatewayError) -> [UInt8] {
        Self.event(error.openAIBody) + Self.done
    }

    /// `data: <json>` and a blank line.
    public static func event(_ json: [UInt8]) -> [UInt8] {
        var bytes = Array("data: ".utf8)
        bytes.reserveCapacity(json.count + 8)
        bytes += json
        bytes += [0x0A, 0x0A]
        return bytes
    }

    // MARK: Pieces

    private func header(_ json: inout JSONBytes, object: String) {
        json.beginObject()
        json.member("id", id)
        json.member("object", object)
        json.member("created", created)
        json.member("model", model)
        json.raw(",\"system_fingerprint\":null")
    }

    private func chunkEvent(finishReason: String? = nil, delta: (inout JSONBytes) -> Void) -> [UInt8] {
        var json = JSONBytes(capacity: 256)
        header(&json, object: "chat.completion.chunk")
        json.key("choices")
        json.raw("[")
        json.beginObject()
        json.member("index", 0)
        json.key("delta")
        json.beginObject()
        delta(&json)
        json.endObject()
        json.raw(",\"logprobs\":null")
        json.key("finish_reason")
        if let finishReason { json.string(finishReason) } else { json.raw("null") }
        json.endObject()
        json.raw("]")
        if includeUsage { json.raw(",\"usage\":null") }
        json.endObject()
        return Self.event(json.bytes)
    }

    /// `stop`, `length`, `tool_calls` or `content_filter`, from the provider's own reason.
    static func finishReason(_ response: ProviderResponse) -> String {
        if let calls = response.toolCalls, !calls.isEmpty { return "tool_calls" }
        switch response.finishReason {
        case "length", "max_tokens": return "length"
        case "tool_calls", "tool_use": return "tool_calls"
        case "content_filter": return "content_filter"
        default: return "stop"
        }
    }

    private static func write(_ calls: [ToolCall], indexed: Bool, to json: inout JSONBytes) {
        json.raw("[")
        for (index, call) in calls.enumerated() {
            if index > 0 { json.raw(",") }
            json.beginObject()
            if indexed { json.member("index", index) }
            json.member("id", call.id)
            json.member("type", call.type)
            json.key("function")
            json.beginObject()
            json.member("name", call.function.name)
            json.member("arguments", call.function.arguments)
            json.endObject()
            json.endObject()
        }
        json.raw("]")
    }

    private static func write(_ usage: TokenUsage?, to json: inout JSONBytes) {
        guard let usage else {
            json.raw("null")
            return
        }
        json.beginObject()
        json.member("prompt_tokens", usage.promptTokens)
        json.member("completion_tokens", usage.completionTokens)
        json.member("total_tokens", usage.totalTokens)
        json.endObject()
    }
}
