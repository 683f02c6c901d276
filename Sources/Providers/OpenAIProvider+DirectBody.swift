import Common
import Signals

extension OpenAIProvider {
    /// The request body of a usual request — text messages, no tools, no tool calls — written
    /// straight from the request, the same JSON as `body(of:streaming:)` gives (members in another
    /// order); `nil` for anything else, which takes that dictionary path.
    static func directBody(of request: ProviderRequest, streaming: Bool) -> [UInt8]? {
        guard request.tools?.isEmpty ?? true, request.toolChoice == nil,
            request.temperature?.isFinite ?? true, request.topP?.isFinite ?? true
        else { return nil }
        var writer = JSONBytes(capacity: 512)
        writer.beginObject()
        writer.member("model", request.model ?? "")
        writer.key("messages")
        writer.raw("[")
        for (index, message) in request.messages.enumerated() {
            guard case .text(let text) = message.content, (message.toolCalls ?? []).isEmpty else { return nil }
            if index > 0 { writer.raw(",") }
            writer.beginObject()
            writer.member("role", message.role.rawValue)
            writer.member("content", text)
            writer.member("name", message.name)
            writer.member("tool_call_id", message.toolCallID)
            writer.member("tool_calls", message.toolCalls == nil ? nil : [String]())
            writer.endObject()
        }
        writer.raw("]")
        writer.member("temperature", request.temperature)
        writer.member("max_tokens", request.maxTokens)
        writer.member("top_p", request.topP)
        writer.member("stop", request.stop)
        if streaming {
            writer.member("stream", true)
            writer.key("stream_options")
            writer.beginObject()
            writer.member("include_usage", true)
            writer.endObject()
        }
        writer.endObject()
        return writer.bytes
    }
}
