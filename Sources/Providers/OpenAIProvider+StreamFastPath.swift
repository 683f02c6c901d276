import AgentCore
import Signals

extension OpenAIProvider.StreamAccumulator {
    /// What `add(_:)` does with the chunk `chunk`, when it is sure to do the same: `.some(delta)`
    /// (the content delta, if any) once applied; `nil` — nothing applied — leaves the chunk to
    /// `add(_:)` (an error chunk, tool-call fragments, unusual types).
    mutating func add(fast chunk: ResponseJSON) -> String?? {
        guard chunk.isObject else { return nil }
        if case .object? = chunk["error"] { return nil }
        // Everything that can send the chunk to the slow path is decided before anything changes.
        var chunkUsage: TokenUsage?
        if let value = chunk["usage"], value.isObject {
            guard let prompt = ResponseJSON.count(value["prompt_tokens"]),
                let completion = ResponseJSON.count(value["completion_tokens"])
            else { return nil }
            chunkUsage = TokenUsage(promptTokens: prompt ?? 0, completionTokens: completion ?? 0)
        }
        var choice: ResponseJSON?
        if case .array(let choices)? = chunk["choices"], choices.allSatisfy(\.isObject) { choice = choices.first }
        let delta = choice?["delta"].flatMap { $0.isObject ? $0 : nil }
        switch delta?["tool_calls"] {
        case nil, .null?: break
        case .array(let fragments)? where fragments.isEmpty: break
        default: return nil
        }
        if let value = chunk["model"]?.string { model = value }
        if let chunkUsage { usage = chunkUsage }
        guard let choice else { return .some(nil) }
        if let reason = choice["finish_reason"]?.string { finishReason = reason }
        guard let text = delta?["content"]?.string, !text.isEmpty else { return .some(nil) }
        content += text
        return .some(text)
    }
}
