import Common
import Foundation
public import Signals

/// Anthropic's answer shapes for one message: the `message` object, and the events of a stream
/// (`message_start`, `content_block_start` / `_delta` / `_stop`, `message_delta`,
/// `message_stop`), each as `event: <type>` and `data: <json>`.
public struct MessagesRenderer: AnswerShape {
    /// `msg_<request id>`: a retry under the same idempotency key gets the same id.
    public var id: String
    /// As the client named it.
    public var model: String

    public init(requestID: String, model: String) {
        id = "msg_\(requestID)"
        self.model = model
    }

    public func completion(_ response: ProviderResponse) -> [UInt8] {
        var json = JSONBytes(capacity: 320 + response.response.utf8.count)
        json.beginObject()
        json.member("id", id)
        json.member("type", "message")
        json.member("role", "assistant")
        json.member("model", model)
        json.key("content")
        json.raw("[")
        var first = true
        if !response.response.isEmpty || (response.toolCalls ?? []).isEmpty {
            json.beginObject()
            json.member("type", "text")
            json.member("text", response.response)
            json.endObject()
            first = false
        }
        for call in response.toolCalls ?? [] {
            if !first { json.raw(",") }
            first = false
            Self.write(call, input: true, to: &json)
        }
        json.raw("]")
        json.member("stop_reason", Self.stopReason(response))
        json.raw(",\"stop_sequence\":null")
        json.key("usage")
        Self.usage(response.usage, to: &json)
        json.endObject()
        return json.bytes
    }

    public func opening() -> [UInt8] {
        var start = JSONBytes(capacity: 256)
        start.beginObject()
        start.member("type", "message_start")
        start.key("message")
        start.beginObject()
        start.member("id", id)
        start.member("type", "message")
        start.member("role", "assistant")
        start.member("model", model)
        start.raw(",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null")
        start.raw(",\"usage\":{\"input_tokens\":0,\"output_tokens\":0}")
        start.endObject()
        start.endObject()
        return Self.event("message_start", start.bytes)
            + Self.event(
                "content_block_start",
                Array(#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#.utf8))
            + Self.event("ping", Array(#"{"type":"ping"}"#.utf8))
    }

    public func delta(_ text: String) -> [UInt8] {
        var json = JSONBytes(capacity: 96 + text.utf8.count)
        json.beginObject()
        json.member("type", "content_block_delta")
        json.member("index", 0)
        json.key("delta")
        json.beginObject()
        json.member("type", "text_delta")
        json.member("text", text)
        json.endObject()
        json.endObject()
        return Self.event("content_block_delta", json.bytes)
    }

    public func closing(_ response: ProviderResponse, streamedText: Bool) -> [UInt8] {
        var events = streamedText || response.response.isEmpty ? [] : delta(response.response)
        events += Self.event("content_block_stop", Array(#"{"type":"content_block_stop","index":0}"#.utf8))
        for (offset, call) in (response.toolCalls ?? []).enumerated() {
            let index = offset + 1
            var start = JSONBytes(capacity: 160)
            start.beginObject()
            start.member("type", "content_block_start")
            start.member("index", index)
            start.key("content_block")
            Self.write(call, input: false, to: &start)
            start.endObject()
            var delta = JSONBytes(capacity: 96 + call.function.arguments.utf8.count)
            delta.beginObject()
            delta.member("type", "content_block_delta")
            delta.member("index", index)
            delta.key("delta")
            delta.beginObject()
            delta.member("type", "input_json_delta")
            delta.member("partial_json", call.function.arguments)
            delta.endObject()
            delta.endObject()
            events +=
                Self.event("content_block_start", start.bytes) + Self.event("content_block_delta", delta.bytes)
                + Self.event("content_block_stop", Array(#"{"type":"content_block_stop","index":\#(index)}"#.utf8))
        }
        var message = JSONBytes(capacity: 160)
        message.beginObject()
        message.member("type", "message_delta")
        message.key("delta")
        message.beginObject()
        message.member("stop_reason", Self.stopReason(response))
        message.raw(",\"stop_sequence\":null")
        message.endObject()
        message.key("usage")
        Self.usage(response.usage, to: &message)
        message.endObject()
        return events + Self.event("message_delta", message.bytes)
            + Self.event("message_stop", Array(#"{"type":"message_stop"}"#.utf8))
    }

    public func streamError(_ error: GatewayError) -> [UInt8] {
        Self.event("error", error.anthropicBody)
    }

    /// `event: <name>`, `data: <json>` and a blank line.
    static func event(_ name: String, _ json: [UInt8]) -> [UInt8] {
        var bytes = Array("event: \(name)\ndata: ".utf8)
        bytes.reserveCapacity(bytes.count + json.count + 2)
        bytes += json
        bytes += [0x0A, 0x0A]
        return bytes
    }

    static func stopReason(_ response: ProviderResponse) -> String {
        if let calls = response.toolCalls, !calls.isEmpty { return "tool_use" }
        switch response.finishReason {
        case "length", "max_tokens": return "max_tokens"
        case "stop_sequence": return "stop_sequence"
        case "tool_calls", "tool_use": return "tool_use"
        default: return "end_turn"
        }
    }

    /// A `tool_use` block; its input is the call's JSON arguments (`{}` in a stream's opening
    /// block, and when they are not a JSON object).
    private static func write(_ call: ToolCall, input: Bool, to json: inout JSONBytes) {
        json.beginObject()
        json.member("type", "tool_use")
        json.member("id", call.id)
        json.member("name", call.function.name)
        json.key("input")
        let arguments = Array(call.function.arguments.utf8)
        let isObject =
            input
            && (try? JSONSerialization.jsonObject(with: Data(arguments))).map { $0 is [String: Any] } == true
        if isObject { json.raw(arguments) } else { json.raw("{}") }
        json.endObject()
    }

    private static func usage(_ usage: TokenUsage?, to json: inout JSONBytes) {
        json.beginObject()
        json.member("input_tokens", usage?.promptTokens ?? 0)
        json.member("output_tokens", usage?.completionTokens ?? 0)
        json.endObject()
    }
}
