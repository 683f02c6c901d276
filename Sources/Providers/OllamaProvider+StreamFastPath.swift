import AgentCore
import Signals

extension OllamaProvider.StreamAccumulator {
    /// What `add(_:)` does with the NDJSON object (or whole answer) `object`, when it is sure to
    /// do the same: `.some(delta)` (the content delta, if any) once applied; `nil` — nothing
    /// applied — leaves it to `add(_:)` (an `error`, tool calls, unusual types).
    mutating func add(fast object: ResponseJSON) -> String?? {
        guard object.isObject, object["error"]?.string == nil else { return nil }
        // Everything that can send the object to the slow path is decided before anything changes.
        var finished: (prompt: Int?, completion: Int?, evalNanoseconds: Int?)?
        switch object["done"] {
        case .bool(true)?:
            guard let prompt = ResponseJSON.count(object["prompt_eval_count"]),
                let completion = ResponseJSON.count(object["eval_count"]),
                let evalNanoseconds = ResponseJSON.count(object["eval_duration"])
            else { return nil }
            finished = (prompt, completion, evalNanoseconds)
        case nil, .null?, .bool(false)?:
            break
        default:
            return nil
        }
        let message = object["message"].flatMap { $0.isObject ? $0 : nil }
        switch message?["tool_calls"] {
        case nil, .null?: break
        default: return nil
        }
        if let value = object["model"]?.string { model = value }
        if let finished {
            done = true
            doneReason = object["done_reason"]?.string ?? "stop"
            promptTokens = finished.prompt ?? 0
            completionTokens = finished.completion ?? 0
            evalNanoseconds = finished.evalNanoseconds
        }
        guard let text = message?["content"]?.string, !text.isEmpty else { return .some(nil) }
        content += text
        return .some(text)
    }
}
