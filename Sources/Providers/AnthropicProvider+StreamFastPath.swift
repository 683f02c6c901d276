import AgentCore
import Signals

extension AnthropicProvider.StreamAccumulator {
    /// What `add(_:)` does with the event whose data is `object` (SSE event name `event`), when
    /// it is sure to do the same: `.some(delta)` (the text delta, if any) once applied; `nil` —
    /// nothing applied — leaves the event to `add(_:)` (errors, tool_use blocks and their input,
    /// unusual types).
    mutating func add(fast object: ResponseJSON, event: String?) -> String?? {
        guard object.isObject else { return nil }
        func member(_ value: ResponseJSON?) -> ResponseJSON? { value.flatMap { $0.isObject ? $0 : nil } }
        switch object["type"]?.string ?? event {
        case "message_start":
            let message = member(object["message"])
            let usage = member(message?["usage"])
            guard let input = ResponseJSON.count(usage?["input_tokens"]),
                let output = ResponseJSON.count(usage?["output_tokens"])
            else { return nil }
            if let value = message?["model"]?.string { model = value }
            inputTokens = input ?? 0
            outputTokens = output ?? 0
        case "content_block_start":
            if member(object["content_block"])?["type"]?.string == "tool_use" { return nil }
        case "content_block_delta":
            let delta = member(object["delta"])
            let type = delta?["type"]?.string
            if type == "input_json_delta" { return nil }
            guard type == "text_delta", let text = delta?["text"]?.string, !text.isEmpty else { return .some(nil) }
            content += text
            return .some(text)
        case "message_delta":
            guard let tokens = ResponseJSON.count(member(object["usage"])?["output_tokens"]) else { return nil }
            if let reason = member(object["delta"])?["stop_reason"]?.string { stopReason = reason }
            if let tokens { outputTokens = tokens }
        case "message_stop":
            stopped = true
        case "error":
            return nil
        default:
            break  // ping, content_block_stop, unknown future events
        }
        return .some(nil)
    }
}
