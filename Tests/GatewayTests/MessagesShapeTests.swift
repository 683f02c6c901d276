import Foundation
import Gateway
import Signals
import Testing

@Suite("Gateway: Anthropic messages")
struct MessagesShapeTests {
    private func parse(_ json: String) throws(GatewayError) -> GatewayRequest {
        try MessagesRequest.parse(Array(json.utf8), requestID: "r-2")
    }

    @Test("system, content blocks, tool use and tool results become the signal's messages")
    func translation() throws {
        let call = try parse(
            #"""
            {"model": "claude-haiku-4-5", "max_tokens": 100, "system": "be brief", "temperature": 0.3,
             "stop_sequences": ["END"], "stream": true, "top_k": 5,
             "tools": [{"name": "get_weather", "description": "weather", "input_schema": {"type": "object"}}],
             "tool_choice": {"type": "tool", "name": "get_weather"},
             "messages": [
               {"role": "user", "content": "weather?"},
               {"role": "assistant", "content": [{"type": "text", "text": "checking"},
                 {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}}]},
               {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny"},
                 {"type": "text", "text": "thanks"}]}]}
            """#)
        let request = call.request
        #expect(call.stream && call.target == .router && call.model == "claude-haiku-4-5")
        #expect(request.maxTokens == 100 && request.temperature == 0.3 && request.stop == ["END"])
        #expect(request.messages.map(\.role) == [.system, .user, .assistant, .tool, .user])
        #expect(request.messages[0].content.plainText == "be brief")
        #expect(request.messages[2].content.plainText == "checking")
        let use = try #require(request.messages[2].toolCalls?.first)
        #expect(use.id == "toolu_1" && use.function.name == "get_weather")
        #expect(
            try JSONSerialization.jsonObject(with: Data(use.function.arguments.utf8)) as? [String: String] == [
                "city": "Paris"
            ])
        #expect(request.messages[3].toolCallID == "toolu_1" && request.messages[3].content.plainText == "sunny")
        #expect(request.messages[4].content.plainText == "thanks")
        #expect(request.tools?.first?.function.name == "get_weather")
        #expect(request.tools?.first?.function.parameters == .object(["type": .string("object")]))
        #expect(
            request.toolChoice
                == .object(["type": .string("function"), "function": .object(["name": .string("get_weather")])]))
    }

    @Test(
        "bad input is a 400 naming the field",
        arguments: [
            (#"{"model": "m", "messages": [{"role": "user", "content": "x"}]}"#, "max_tokens"),
            (#"{"model": "m", "max_tokens": 0, "messages": [{"role": "user", "content": "x"}]}"#, "max_tokens"),
            (#"{"max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}"#, "model"),
            (#"{"model": "m", "max_tokens": 5, "messages": []}"#, "messages"),
            (#"{"model": "m", "max_tokens": 5, "messages": [{"role": "system", "content": "x"}]}"#, "messages[0].role"),
            (#"{"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": 3}]}"#, "messages[0].content"),
            (
                #"{"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": [{"type": "video"}]}]}"#,
                "messages[0].content.0.type"
            ),
            (#"{"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}], "n": 1}"#, "n"),
            (
                #"{"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}], "temperature": 2}"#,
                "temperature"
            ),
        ])
    func badInput(_ json: String, _ param: String) throws {
        do {
            let parsed = try parse(json)
            Issue.record("expected a 400, parsed \(parsed)")
        } catch {
            #expect(error.status == 400)
            #expect(error.param == param, "\(error.message)")
            let body = try #require(try JSONSerialization.jsonObject(with: Data(error.anthropicBody)) as? [String: Any])
            #expect(body["type"] as? String == "error")
            let inner = try #require(body["error"] as? [String: String])
            #expect(inner["type"] == "invalid_request_error")
            #expect(inner["message"]?.contains(param) == true, "the message names the field: \(inner)")
        }
    }

    @Test("a message and its stream in Anthropic's shape, tool use included")
    func shapes() throws {
        var response = ProviderResponse(
            requestID: "r-2", response: "Hi", provider: "openai", model: "gpt-4o-mini", latencyMs: 1,
            usage: TokenUsage(promptTokens: 4, completionTokens: 2, totalTokens: 6))
        response.toolCalls = [ToolCall(id: "toolu_9", function: .init(name: "f", arguments: #"{"a":1}"#))]
        let renderer = MessagesRenderer(requestID: "r-2", model: "gpt-4o-mini")
        let message = try #require(
            try JSONSerialization.jsonObject(with: Data(renderer.completion(response))) as? [String: Any])
        #expect(message["id"] as? String == "msg_r-2" && message["type"] as? String == "message")
        #expect(message["stop_reason"] as? String == "tool_use")
        let content = try #require(message["content"] as? [[String: Any]])
        #expect(content.map { $0["type"] as? String } == ["text", "tool_use"])
        #expect(content[1]["input"] as? [String: Int] == ["a": 1])
        #expect(message["usage"] as? [String: Int] == ["input_tokens": 4, "output_tokens": 2])

        let stream = String(
            decoding: renderer.opening() + renderer.delta("H") + renderer.closing(response, streamedText: true),
            as: UTF8.self)
        let names = stream.components(separatedBy: "\n").filter { $0.hasPrefix("event: ") }.map { $0.dropFirst(7) }
        #expect(
            names == [
                "message_start", "content_block_start", "ping", "content_block_delta", "content_block_stop",
                "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop",
            ])
        #expect(stream.contains(#""partial_json":"{\"a\":1}""#))
        #expect(stream.contains(#""stop_reason":"tool_use""#))
    }
}
