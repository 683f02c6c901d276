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
        writer.raw(#"{"model":"#)
        writer.string(request.model ?? "")
        writer.raw(#","max_tokens":"#)
        writer.int(request.maxTokens ?? defaultMaxTokens)
        writer.raw(#","messages":["#)
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
            writer.raw(message.role == .assistant ? #"{"role":"assistant","content":"# : #"{"role":"user","content":"#)
            writer.string(text)
            writer.raw("}")
        }
        writer.raw("]")
        let systemText = system.joined(separator: "\n")
        if !systemText.isEmpty {
            writer.raw(#","system":"#)
            writer.string(systemText)
        }
        if let value = request.temperature {
            writer.raw(#","temperature":"#)
            writer.double(min(value, 1))
        }
        if let value = request.topP {
            writer.raw(#","top_p":"#)
            writer.double(value)
        }
        if let stop = request.stop {
            writer.raw(#","stop_sequences":"#)
            writer.strings(stop)
        }
        if streaming { writer.raw(#","stream":true"#) }
        writer.raw("}")
        return writer.bytes
    }
}
