import Common
import Signals

extension AnthropicProvider {
    /// The request body of a usual request — text messages, no tools, no tool calls or results —
    /// written straight from the request, the same JSON as `body(of:streaming:)` gives (members in
    /// another order); `nil` for anything else, which takes that path (and its checks).
    static func directBody(of request: ProviderRequest, streaming: Bool) -> [UInt8]? {
        guard request.tools?.isEmpty ?? true, request.toolChoice == nil,
            request.temperature?.isFinite ?? true, request.topP?.isFinite ?? true
        else { return nil }
        var writer = JSONBytes(capacity: 512)
        writer.beginObject()
        writer.member("model", request.model ?? "")
        writer.member("max_tokens", request.maxTokens ?? defaultMaxTokens)
        writer.key("messages")
        writer.raw("[")
        var system: [String] = []
        var first = true
        for message in request.messages {
            if message.role == .system {
                system.append(message.content.plainText)
                continue
            }
            guard message.role != .tool, message.role != .assistant || (message.toolCalls ?? []).isEmpty,
                case .text(let text) = message.content
            else { return nil }
            if !first { writer.raw(",") }
            first = false
            writer.beginObject()
            writer.member("role", message.role == .assistant ? "assistant" : "user")
            writer.member("content", text)
            writer.endObject()
        }
        writer.raw("]")
        let systemText = system.joined(separator: "\n")
        writer.member("system", systemText.isEmpty ? nil : systemText)
        writer.member("temperature", request.temperature.map { min($0, 1) })
        writer.member("top_p", request.topP)
        writer.member("stop_sequences", request.stop)
        writer.member("stream", streaming ? true : nil)
        writer.endObject()
        return writer.bytes
    }
}
