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
        writer.raw(#"{"model":"#)
        writer.string(request.model ?? "")
        writer.raw(streaming ? #","stream":true,"messages":["# : #","stream":false,"messages":["#)
        for (index, message) in request.messages.enumerated() {
            guard case .text(let text) = message.content, (message.toolCalls ?? []).isEmpty else { return nil }
            if index > 0 { writer.raw(",") }
            writer.raw(#"{"role":"#)
            writer.string(message.role.rawValue)
            writer.raw(#","content":"#)
            writer.string(text)
            if message.role == .tool, let name = message.name {
                writer.raw(#","tool_name":"#)
                writer.string(name)
            }
            writer.raw("}")
        }
        writer.raw("]")
        if request.temperature != nil || request.topP != nil || request.maxTokens != nil || request.stop != nil {
            var separator = #","options":{"#
            func member(_ name: String) {
                writer.raw(separator + "\"" + name + "\":")
                separator = ","
            }
            if let value = request.temperature {
                member("temperature")
                writer.double(value)
            }
            if let value = request.topP {
                member("top_p")
                writer.double(value)
            }
            if let value = request.maxTokens {
                member("num_predict")
                writer.int(value)
            }
            if let value = request.stop {
                member("stop")
                writer.strings(value)
            }
            writer.raw("}")
        }
        writer.raw("}")
        return writer.bytes
    }
}
