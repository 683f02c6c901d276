import Foundation
import Signals

/// An OpenAI `POST /v1/chat/completions` body, checked and turned into a `provider_request`.
///
/// Strict as OpenAI is: a field of the wrong type, out of range, or unknown is a 400 naming it.
/// Fields OpenAI accepts that providers here do not use (`user`, `seed`, penalties, ...) are
/// accepted and left out; `n` above 1 and `logprobs` are refused, since no answer would carry them.
public enum ChatCompletionRequest {
    /// Members the gateway reads.
    static let used: Set<String> = [
        "model", "messages", "temperature", "top_p", "max_tokens", "max_completion_tokens", "stop", "tools",
        "tool_choice", "stream", "stream_options", "n", "logprobs", "metadata",
    ]
    /// Members OpenAI accepts that the gateway accepts and leaves out.
    static let ignored: Set<String> = [
        "user", "seed", "presence_penalty", "frequency_penalty", "logit_bias", "response_format",
        "parallel_tool_calls", "service_tier", "store", "top_logprobs", "reasoning_effort", "modalities",
        "prediction", "audio", "web_search_options", "functions", "function_call",
    ]

    /// Parses `body`; `requestID` becomes the signal's `request_id`.
    public static func parse(_ body: [UInt8], requestID: String) throws(GatewayError) -> GatewayRequest {
        let members = try JSONField.object(body)
        for name in members.keys.sorted() where !used.contains(name) && !ignored.contains(name) {
            throw .invalid("Unrecognized request argument supplied: \(name)", param: name)
        }
        let model = try JSONField.string(members["model"], "model", required: true) ?? ""
        guard !model.isEmpty else { throw .invalid("you must provide a model parameter", param: "model") }
        let messages = try JSONField.decodeList(members["messages"], "messages", as: ChatMessage.self)
        guard let messages, !messages.isEmpty else {
            throw .invalid("'messages' must be a non-empty array", param: "messages")
        }
        let temperature = try JSONField.number(members["temperature"], "temperature", in: 0...2)
        let topP = try JSONField.number(members["top_p"], "top_p", in: 0...1)
        let legacyMaxTokens = try JSONField.integer(members["max_tokens"], "max_tokens")
        let maxTokens =
            try JSONField.integer(members["max_completion_tokens"], "max_completion_tokens") ?? legacyMaxTokens
        let stop = try JSONField.stopList(members["stop"])
        let tools = try JSONField.decodeList(members["tools"], "tools", as: ToolDefinition.self)
        let toolChoice = try JSONField.toolChoice(members["tool_choice"])
        let stream = try JSONField.bool(members["stream"], "stream") ?? false
        var includeUsage = false
        if let fields = try JSONField.object(members["stream_options"], "stream_options") {
            guard stream else {
                throw .invalid("'stream_options' is only allowed when 'stream' is true", param: "stream_options")
            }
            for name in fields.keys where name != "include_usage" {
                throw .invalid("Unrecognized stream option: \(name)", param: "stream_options.\(name)")
            }
            includeUsage = try JSONField.bool(fields["include_usage"], "stream_options.include_usage") ?? false
        }
        if let n = try JSONField.integer(members["n"], "n"), n != 1 {
            throw .invalid("only n = 1 is supported, got \(n)", param: "n")
        }
        if try JSONField.bool(members["logprobs"], "logprobs") == true {
            throw .invalid("logprobs are not supported", param: "logprobs")
        }
        return GatewayRequest.make(
            model: model, requestID: requestID, messages: messages,
            sampling: .init(temperature: temperature, topP: topP, maxTokens: maxTokens, stop: stop), tools: tools,
            toolChoice: toolChoice, stream: stream, includeUsage: includeUsage,
            metadata: try JSONField.object(members["metadata"], "metadata"))
    }
}
