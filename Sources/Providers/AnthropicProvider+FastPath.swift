import AgentCore
import Foundation
import NIOCore
import Signals

extension AnthropicProvider {
    /// The completion in a non-streamed answer: read in place by ``ResponseJSONParser`` when it is
    /// the usual shape, else (`tool_use` blocks, unusual types, malformed JSON) by the
    /// `JSONSerialization` path, which gives the same result or the classified error.
    static func completion(from body: ByteBuffer, requestedModel: String) throws(ProviderCallError) -> Completion {
        let parsed = body.withUnsafeReadableBytes { ResponseJSONParser.parse($0) }
        if let parsed, let completion = fastCompletion(parsed, requestedModel: requestedModel) { return completion }
        return try completion(from: Data(body.readableBytesView), requestedModel: requestedModel)
    }

    /// What `completion(from: Data, …)` answers for `answer` when that is a success it is sure of;
    /// `nil` leaves the answer to it.
    static func fastCompletion(_ answer: ResponseJSON, requestedModel: String) -> Completion? {
        guard case .array(let blocks)? = answer["content"], blocks.allSatisfy(\.isObject),
            !blocks.contains(where: { $0["type"]?.string == "tool_use" }),
            let finishReason = stopReasons[answer["stop_reason"]?.string ?? "end_turn"]
        else { return nil }
        let usage = answer["usage"].flatMap { $0.isObject ? $0 : nil }
        guard let inputTokens = ResponseJSON.count(usage?["input_tokens"]),
            let outputTokens = ResponseJSON.count(usage?["output_tokens"])
        else { return nil }
        var content = ""
        for block in blocks where block["type"]?.string == "text" {
            if let text = block["text"]?.string { content += text }
        }
        let usageCounts = TokenUsage(promptTokens: inputTokens ?? 0, completionTokens: outputTokens ?? 0)
        return Completion(
            model: answer["model"]?.string ?? requestedModel, content: content, toolCalls: nil,
            finishReason: finishReason, usage: usageCounts
        )
    }
}
