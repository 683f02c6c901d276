import Common
import Signals

extension OllamaProvider {
    /// The `/api/chat` body of a usual request — text messages, no tools, no tool calls — written
    /// straight from the request, the same JSON as `body(of:streaming:)` gives (members in another
    /// order); `nil` for anything else, which takes that path (and its image checks).
    static func directBody(of request: ProviderRequest, streaming: Bool) -> [UInt8]? {
        guard request.tools?.isEmpty ?? true, request.temperature?.isFinite ?? true, request.topP?.isFinite ?? true
        else { return nil }
        var writer = JSONBytes(capacity: 512)
        writer.beginObject()
        writer.member("model", request.model ?? "")
        writer.member("stream", streaming)
        writer.key("messages")
        writer.raw("[")
        for (index, message) in request.messages.enumerated() {
            guard case .text(let text) = message.content, (message.toolCalls ?? []).isEmpty else { return nil }
            if index > 0 { writer.raw(",") }
            writer.beginObject()
            writer.member("role", message.role.rawValue)
            writer.member("content", text)
            writer.member("tool_name", message.role == .tool ? message.name : nil)
            writer.endObject()
        }
        writer.raw("]")
        if request.temperature != nil || request.topP != nil || request.maxTokens != nil || request.stop != nil {
            writer.key("options")
            writer.beginObject()
            writer.member("temperature", request.temperature)
            writer.member("top_p", request.topP)
            writer.member("num_predict", request.maxTokens)
            writer.member("stop", request.stop)
            writer.endObject()
        }
        writer.endObject()
        return writer.bytes
    }
}
