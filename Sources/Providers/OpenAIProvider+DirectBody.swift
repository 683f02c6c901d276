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
        writer.raw(#"{"model":"#)
        writer.string(request.model ?? "")
        writer.raw(#","messages":["#)
        for (index, message) in request.messages.enumerated() {
            guard case .text(let text) = message.content, (message.toolCalls ?? []).isEmpty else { return nil }
            if index > 0 { writer.raw(",") }
            writer.raw(#"{"role":"#)
            writer.string(message.role.rawValue)
            writer.raw(#","content":"#)
            writer.string(text)
            if let name = message.name {
                writer.raw(#","name":"#)
                writer.string(name)
            }
            if let id = message.toolCallID {
                writer.raw(#","tool_call_id":"#)
                writer.string(id)
            }
            if message.toolCalls != nil { writer.raw(#","tool_calls":[]"#) }
            writer.raw("}")
        }
        writer.raw("]")
        if let value = request.temperature {
            writer.raw(#","temperature":"#)
            writer.double(value)
        }
        if let value = request.maxTokens {
            writer.raw(#","max_tokens":"#)
            writer.int(value)
        }
        if let value = request.topP {
            writer.raw(#","top_p":"#)
            writer.double(value)
        }
        if let stop = request.stop {
            writer.raw(#","stop":"#)
            writer.strings(stop)
        }
        if streaming { writer.raw(#","stream":true,"stream_options":{"include_usage":true}"#) }
        writer.raw("}")
        return writer.bytes
    }
}
