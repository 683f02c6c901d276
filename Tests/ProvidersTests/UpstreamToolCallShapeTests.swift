import AgentCore
import Foundation
import Testing

@testable import Providers

/// Tool calls in shapes the usual upstreams do not send, but compatible servers may: read, never
/// a trap in `JSONSerialization.data(withJSONObject:)` (which traps on a top-level null or string).
@Suite("Odd tool-call shapes upstream")
struct UpstreamToolCallShapeTests {
    @Test("OpenAI: tool_calls null or not a list is no tool call")
    func openAINull() throws {
        for calls in ["null", #""call""#, "3"] {
            let answer = #"{"choices":[{"message":{"content":"x","tool_calls":"# + calls + "}}]}"
            let completion = try OpenAIProvider.completion(from: Data(answer.utf8), requestedModel: "m")
            #expect(completion.toolCalls == nil)
            #expect(completion.content == "x")
        }
    }

    @Test("Ollama: arguments as a JSON text are kept; null or a number is {}")
    func ollamaArguments() throws {
        let cases = [
            (#""{\"a\":1}""#, #"{"a":1}"#), ("null", "{}"), ("7", "{}"), (#"{"b":1,"a":2}"#, #"{"a":2,"b":1}"#),
        ]
        for (arguments, expected) in cases {
            let call = #"{"function":{"name":"f","arguments":"# + arguments + "}}"
            let answer = #"{"message":{"tool_calls":["# + call + #"]},"done":true}"#
            let object = try #require(try JSONSerialization.jsonObject(with: Data(answer.utf8)) as? [String: Any])
            var accumulator = OllamaProvider.StreamAccumulator(model: "m")
            _ = try accumulator.add(object)
            #expect(try accumulator.completion().toolCalls?.first?.function.arguments == expected, "\(arguments)")
        }
    }
}
