import AgentCore
import Foundation
import Testing

@testable import Providers

/// Stream chunks are read by ``ResponseJSONParser`` when the adapter is sure of the outcome and
/// by `JSONSerialization` otherwise: a sequence of chunks must give the same deltas, the same
/// completion and the same errors either way.
@Suite("Stream chunks: fast path and JSONSerialization path agree")
struct StreamFastPathTests {
    /// The deltas, then the completion or the first error, of feeding `chunks` to `add`.
    static func outcome<State>(
        _ state: State, _ chunks: [String], add: (inout State, String) throws(ProviderCallError) -> String?,
        finish: (State) throws(ProviderCallError) -> Completion
    ) -> String {
        var state = state
        var deltas: [String?] = []
        do {
            for chunk in chunks { deltas.append(try add(&state, chunk)) }
            return "\(deltas) \(try finish(state))"
        } catch {
            return "\(deltas) \(error)"
        }
    }

    /// An OpenAI chunk with one choice.
    static func choice(_ body: String, _ rest: String = "") -> String {
        #"{"choices":[{"index":0,"# + body + "}]" + rest + "}"
    }

    static let openAI: [[String]] = [
        [
            #"{"id":"c","object":"chat.completion.chunk","model":"gpt-4o","choices":[{"index":0,"#
                + #""delta":{"role":"assistant","content":""},"finish_reason":null}]}"#,
            choice(#""delta":{"content":"Hel"},"finish_reason":null"#),
            choice(#""delta":{"content":"lo"},"finish_reason":null"#),
            choice(#""delta":{},"finish_reason":"stop""#),
            #"{"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}}"#,
        ],
        [
            choice(
                #""delta":{"tool_calls":[{"index":0,"id":"c1","type":"function","#
                    + #""function":{"name":"f","arguments":""}}]}"#),
            choice(#""delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"a\":1}"}}]}"#),
            choice(#""delta":{"tool_calls":null,"content":"x"},"finish_reason":"tool_calls""#, #","model":5"#),
        ],
        [choice(#""delta":{"content":"a"}"#, #","usage":{"prompt_tokens":1.5}"#), #"{"choices":"odd"}"#, "[1]"],
        [choice(#""delta":{"content":"a"}"#), #"{"error":{"message":"boom"}}"#],
        [#"{"choices":[{"delta":{"content":"a"}}, 3]}"#, choice(#""delta":{"content":"b"},"finish_reason":"odd""#)],
        [choice(#""delta":{"content":"a"}"#), "not json"],
    ]

    static func block(_ type: String, _ body: String) -> (String?, String) {
        (type, #"{"type":""# + type + #"","# + body + "}")
    }

    static let anthropic: [[(String?, String)]] = [
        [
            block(
                "message_start",
                #""message":{"model":"claude-haiku-4-5","#
                    + #""usage":{"input_tokens":10,"output_tokens":1}}"#),
            block("content_block_start", #""index":0,"content_block":{"type":"text","text":""}"#),
            ("ping", #"{"type":"ping"}"#),
            block("content_block_delta", #""index":0,"delta":{"type":"text_delta","text":"Hi"}"#),
            block("content_block_stop", #""index":0"#),
            block("message_delta", #""delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":5}"#),
            ("message_stop", #"{"type":"message_stop"}"#),
        ],
        [
            block("message_start", #""message":{"usage":{}}"#),
            block("content_block_start", #""index":1,"content_block":{"type":"tool_use","id":"t","name":"f"}"#),
            block("content_block_delta", #""index":1,"delta":{"type":"input_json_delta","partial_json":"{\"a\":"}"#),
            block("content_block_delta", #""index":1,"delta":{"type":"input_json_delta","partial_json":"1}"}"#),
            block("message_delta", #""delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":2.0}"#),
            ("message_stop", #"{"type":"message_stop"}"#),
        ],
        [(nil, #"{"type":"message_delta","delta":{"stop_reason":"max_tokens"}}"#), ("message_stop", #"{}"#)],
        [
            block("content_block_delta", #""delta":{"type":"text_delta","text":"a"}"#),
            block("error", #""error":{"type":"overloaded_error","message":"busy"}"#),
        ],
        [block("message_delta", #""delta":{"stop_reason":"exploded"}"#), ("message_stop", "{")],
    ]

    static let ollama: [[String]] = [
        [
            #"{"model":"llama3.1:8b","message":{"role":"assistant","content":"He"},"done":false}"#,
            #"{"model":"llama3.1:8b","message":{"role":"assistant","content":"y"},"done":false}"#,
            #"{"model":"llama3.1:8b","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","#
                + #""prompt_eval_count":4,"eval_count":2,"eval_duration":1000}"#,
        ],
        [
            #"{"message":{"content":"a"},"done":false}"#,
            #"{"message":{"tool_calls":[{"function":{"name":"f","arguments":{}}}]},"done":true}"#,
        ],
        [#"{"message":{"content":"a"},"done":1}"#, #"{"error":"oops"}"#],
        [#"{"message":{"content":"a"},"done":true,"eval_count":"2"}"#],
        [#"{"message":{"content":"a"}}"#, "nope"],
    ]

    typealias OpenAIState = OpenAIProvider.StreamAccumulator
    typealias AnthropicState = AnthropicProvider.StreamAccumulator
    typealias OllamaState = OllamaProvider.StreamAccumulator

    @Test("OpenAI chunks")
    func openAIAgrees() {
        let finish = { (state: OpenAIState) throws(ProviderCallError) in try state.completion() }
        for chunks in Self.openAI {
            let mixed = Self.outcome(
                OpenAIState(model: "m"), chunks,
                add: { (state, chunk) throws(ProviderCallError) in
                    try state.add(chunk)
                }, finish: finish)
            let slow = Self.outcome(
                OpenAIState(model: "m"), chunks,
                add: { (state, chunk) throws(ProviderCallError) in
                    try state.add(slow: chunk)
                }, finish: finish)
            #expect(mixed == slow, "\(chunks)")
        }
        var accumulator = OpenAIState(model: "m")
        #expect(accumulator.add(fast: ResponseJSONParser.parse(Self.openAI[0][1])!) == .some("Hel"))
    }

    @Test("Anthropic events")
    func anthropicAgrees() {
        func event(_ chunk: String) -> ServerSentEvents.Event {
            let parts = chunk.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
            return ServerSentEvents.Event(event: parts[0].isEmpty ? nil : String(parts[0]), data: String(parts[1]))
        }
        let finish = { (state: AnthropicState) throws(ProviderCallError) in try state.completion() }
        let m = "m"
        for events in Self.anthropic {
            let chunks = events.map { "\($0.0 ?? "")\n\($0.1)" }
            let mixed = Self.outcome(
                AnthropicState(model: m), chunks,
                add: { (state, text) throws(ProviderCallError) in
                    try state.add(event(text))
                }, finish: finish)
            let slow = Self.outcome(
                AnthropicState(model: m), chunks,
                add: { (state, text) throws(ProviderCallError) in
                    try state.add(slow: event(text))
                }, finish: finish)
            #expect(mixed == slow, "\(events)")
        }
    }

    @Test("Ollama lines")
    func ollamaAgrees() {
        func slowAdd(_ state: inout OllamaState, _ line: String) throws(ProviderCallError) -> String? {
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else {
                throw ProviderCallError(type: .providerError, message: "not JSON", retryable: true)
            }
            return try state.add(object)
        }
        let finish = { (state: OllamaState) throws(ProviderCallError) in try state.completion() }
        for lines in Self.ollama {
            let mixed = Self.outcome(
                OllamaState(model: "m"), lines,
                add: { (state, line) throws(ProviderCallError) in
                    if let object = ResponseJSONParser.parse(line), let delta = state.add(fast: object) { return delta }
                    return try slowAdd(&state, line)
                }, finish: finish)
            let slow = Self.outcome(
                OllamaState(model: "m"), lines,
                add: { (state, line) throws(ProviderCallError) in
                    try slowAdd(&state, line)
                }, finish: finish)
            #expect(mixed == slow, "\(lines)")
        }
    }
}
