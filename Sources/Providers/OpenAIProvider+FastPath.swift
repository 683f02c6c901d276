import AgentCore
import Foundation
import NIOCore
import Signals

extension OpenAIProvider {
    /// The completion in a non-streamed answer: read in place by ``ResponseJSONParser`` when it is
    /// the usual shape, else (tool calls, unusual types, malformed JSON) by the `JSONSerialization`
    /// path, which gives the same result or the classified error.
    static func completion(from body: ByteBuffer, requestedModel: String) throws(ProviderCallError) -> Completion {
        let parsed = body.withUnsafeReadableBytes { ResponseJSONParser.parse($0) }
        if let parsed, let completion = fastCompletion(parsed, requestedModel: requestedModel) { return completion }
        return try completion(from: Data(body.readableBytesView), requestedModel: requestedModel)
    }

    /// What `completion(from: Data, …)` answers for `answer` when that is a success it is sure of;
    /// `nil` leaves the answer to it.
    static func fastCompletion(_ answer: ResponseJSON, requestedModel: String) -> Completion? {
        guard case .array(let choices)? = answer["choices"], choices.allSatisfy(\.isObject),
            let choice = choices.first, let message = choice["message"], message.isObject,
            // Tool calls (even `null`) take the slow path.
            message["tool_calls"] == nil
        else { return nil }
        let finishReason = choice["finish_reason"]?.string ?? "stop"
        guard finishReasons.contains(finishReason) else { return nil }
        let usage = answer["usage"].flatMap { $0.isObject ? $0 : nil }
        guard let promptTokens = ResponseJSON.count(usage?["prompt_tokens"]),
            let completionTokens = ResponseJSON.count(usage?["completion_tokens"])
        else { return nil }
        return Completion(
            model: answer["model"]?.string ?? requestedModel, content: message["content"]?.string ?? "",
            toolCalls: nil, finishReason: finishReason,
            usage: TokenUsage(promptTokens: promptTokens ?? 0, completionTokens: completionTokens ?? 0)
        )
    }
}
