import AgentCore
import Foundation
import NIOCore
import Testing

@testable import Providers

/// The adapters read usual answers with ``ResponseJSONParser`` and leave the rest to their
/// `JSONSerialization` path: for every answer, the result (or the classified error) must be the
/// one that path gives.
@Suite("Adapter answers: fast path and JSONSerialization path agree")
struct AdapterFastPathTests {
    typealias Outcome = Result<Completion, ProviderCallError>

    static func outcome(_ body: () throws(ProviderCallError) -> Completion) -> Outcome {
        do { return .success(try body()) } catch { return .failure(error) }
    }

    static let openAI: [(String, fast: Bool)] = [
        (
            #"{"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"#
                + #""finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15}}"#,
            true
        ),
        (#"{"choices":[{"message":{"content":null},"finish_reason":"length"}]}"#, true),
        (#"{"choices":[{"message":{"content":"x"},"finish_reason":null}],"usage":null,"model":7}"#, true),
        (#"{"choices":[{"message":{"content":"x"}},"not an object"]}"#, false),
        (#"{"choices":[{"message":{"content":"x"},"finish_reason":"exploded"}]}"#, false),
        (#"{"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":1.0}}"#, false),
        (#"{"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":true}}"#, false),
        (
            #"{"choices":[{"message":{"content":null,"tool_calls":[{"id":"c1","type":"function","#
                + #""function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}"#, false
        ),
        (#"{"choices":[{"message":{"content":"x","tool_calls":null}}]}"#, false),
        (#"{"choices":[]}"#, false), (#"{"choices":[{"text":"x"}]}"#, false), (#"[]"#, false), ("", false),
        ("not json", false), (#"{"choices":[{"message":{"content":"x"}}]} trailing"#, false),
        (#"{"choices":[{"message":{"content":"x"}}],"model":"a","model":"b"}"#, false),
    ]

    static let anthropic: [(String, fast: Bool)] = [
        (
            #"{"id":"msg_1","type":"message","role":"assistant","model":"claude-haiku-4-5","content":[{"type":"text","#
                + #""text":"Hello"},{"type":"text","text":" world"}],"stop_reason":"end_turn","stop_sequence":null,"#
                + #""usage":{"input_tokens":10,"output_tokens":2}}"#, true
        ),
        (#"{"content":[],"stop_reason":"max_tokens"}"#, true),
        (#"{"content":[{"type":"thinking","thinking":"hm"},{"type":"text","text":5},{"text":"no type"}]}"#, true),
        (
            #"{"content":[{"type":"tool_use","id":"t1","name":"f","input":{"b":1,"a":2}}],"#
                + #""stop_reason":"tool_use"}"#, false
        ),
        (#"{"content":[{"type":"text","text":"x"}],"stop_reason":"exploded"}"#, false),
        (#"{"content":"text","stop_reason":"end_turn"}"#, false), (#"{"content":[1]}"#, false),
        (#"{"content":[],"usage":{"input_tokens":"3"}}"#, false), ("{", false),
    ]

    static let ollama: [(String, fast: Bool)] = [
        (
            #"""
            {"model":"llama3.1:8b","created_at":"2026-01-01T00:00:00Z","message":{"role":"assistant","content":\#
            "Hi"},
            """#
                + #""done":true,"done_reason":"stop","total_duration":5,"prompt_eval_count":9,"eval_count":2,"#
                + #""eval_duration":4000}"#, true
        ),
        (#"{"message":{"content":""},"done":true}"#, true),
        (#"{"message":{"content":"x","tool_calls":null},"done":true,"done_reason":"length","eval_duration":0}"#, true),
        (#"{"message":"odd","done":true,"error":5}"#, true),
        (#"{"message":{"content":"x"},"done":false}"#, true),
        (#"{"message":{"content":"x"},"done":true,"done_reason":"exploded"}"#, true),
        (#"{"message":{"content":"x"},"done":1}"#, false),
        (#"{"error":"model not loaded"}"#, false),
        (
            #"{"message":{"content":"","tool_calls":[{"function":{"name":"f","arguments":{"b":1}}}]},"#
                + #""done":true}"#, false
        ),
        (#"{"message":{"content":"x"},"done":true,"eval_count":2.5}"#, false), ("[]", false), ("nope", false),
        // Arguments as a JSON text, or null: kept, or `{}` (they used to trap in JSONSerialization).
        (#"{"message":{"tool_calls":[{"function":{"name":"f","arguments":"{\"a\":1}"}}]},"done":true}"#, false),
        (#"{"message":{"tool_calls":[{"function":{"name":"f","arguments":null}}]},"done":true}"#, false),
    ]

    @Test("OpenAI answers")
    func openAIAgrees() throws {
        for (text, fast) in Self.openAI {
            let parsed = ResponseJSONParser.parse(text)
            let taken = parsed.flatMap { OpenAIProvider.fastCompletion($0, requestedModel: "asked") } != nil
            #expect(taken == fast, "\(text)")
            let slow = Self.outcome { () throws(ProviderCallError) in
                try OpenAIProvider.completion(from: Data(text.utf8), requestedModel: "asked")
            }
            let viaBuffer = Self.outcome { () throws(ProviderCallError) in
                try OpenAIProvider.completion(from: ByteBuffer(string: text), requestedModel: "asked")
            }
            #expect(viaBuffer == slow, "\(text)")
        }
    }

    @Test("Anthropic answers")
    func anthropicAgrees() throws {
        for (text, fast) in Self.anthropic {
            let parsed = ResponseJSONParser.parse(text)
            let taken = parsed.flatMap { AnthropicProvider.fastCompletion($0, requestedModel: "asked") } != nil
            #expect(taken == fast, "\(text)")
            let slow = Self.outcome { () throws(ProviderCallError) in
                try AnthropicProvider.completion(from: Data(text.utf8), requestedModel: "asked")
            }
            let viaBuffer = Self.outcome { () throws(ProviderCallError) in
                try AnthropicProvider.completion(from: ByteBuffer(string: text), requestedModel: "asked")
            }
            #expect(viaBuffer == slow, "\(text)")
        }
    }

    @Test("Ollama answers")
    func ollamaAgrees() throws {
        for (text, fast) in Self.ollama {
            let parsed = ResponseJSONParser.parse(text)
            let taken = parsed.flatMap { OllamaProvider.fastAccumulator($0, requestedModel: "asked") } != nil
            #expect(taken == fast, "\(text)")
            let slow = Self.outcome { () throws(ProviderCallError) in
                guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
                    throw ProviderCallError(
                        type: .providerError, message: "upstream answer is not JSON: \(text.prefix(200))",
                        retryable: true, breakerKind: .upstreamServerError
                    )
                }
                var accumulator = OllamaProvider.StreamAccumulator(model: "asked")
                _ = try accumulator.add(object)
                return try accumulator.completion()
            }
            let viaBuffer = Self.outcome { () throws(ProviderCallError) in
                try OllamaProvider.completion(from: ByteBuffer(string: text), requestedModel: "asked")
            }
            #expect(viaBuffer == slow, "\(text)")
        }
    }

    @Test("a buffer read part-way (reader index past its start) is read from its reader index")
    func readerIndex() throws {
        var buffer = ByteBuffer(string: "garbage" + #"{"choices":[{"message":{"content":"x"}}]}"#)
        buffer.moveReaderIndex(forwardBy: 7)
        let completion = try OpenAIProvider.completion(from: buffer, requestedModel: "m")
        #expect(completion.content == "x")
    }
}
