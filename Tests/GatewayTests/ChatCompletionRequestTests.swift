import Foundation
import Gateway
import Signals
import Testing

@Suite("Gateway: OpenAI chat requests")
struct ChatCompletionRequestTests {
    private func parse(_ json: String) throws(GatewayError) -> GatewayRequest {
        try ChatCompletionRequest.parse(Array(json.utf8), requestID: "r-1")
    }

    /// The error a body gets; records an issue when it parses.
    private func failure(_ json: String) -> GatewayError? {
        do {
            let parsed = try parse(json)
            Issue.record("expected a 400, parsed \(parsed)")
            return nil
        } catch {
            return error
        }
    }

    @Test("every field the gateway reads reaches the provider request")
    func fullRequest() throws {
        let chat = try parse(
            #"""
            {"model": "gpt-4o-mini", "messages": [{"role": "system", "content": "be brief"},
             {"role": "user", "content": [{"type": "text", "text": "hi"}]}],
             "temperature": 0.5, "top_p": 0.9, "max_completion_tokens": 64, "stop": "END",
             "tools": [{"type": "function", "function": {"name": "lookup"}}], "tool_choice": "auto",
             "stream": true, "stream_options": {"include_usage": true}, "metadata": {"team": "a"},
             "user": "someone", "seed": 7, "n": 1}
            """#)
        #expect(chat.model == "gpt-4o-mini")
        #expect(chat.target == .router)
        #expect(chat.stream && chat.includeUsage)
        let request = chat.request
        #expect(request.requestID == "r-1")
        #expect(request.model == "gpt-4o-mini")
        #expect(request.messages.count == 2)
        #expect(request.messages[1].content.plainText == "hi")
        #expect(request.temperature == 0.5 && request.topP == 0.9 && request.maxTokens == 64)
        #expect(request.stop == ["END"])
        #expect(request.tools?.first?.function.name == "lookup")
        #expect(request.toolChoice == .string("auto"))
        #expect(request.stream == true)
        #expect(request.metadata == ["team": .string("a")])
        #expect(request.provider == nil)
    }

    @Test("provider/model goes straight to that provider with the plain model name")
    func directTarget() throws {
        let chat = try parse(
            #"{"model": "anthropic/claude-haiku-4-5", "messages": [{"role": "user", "content": "x"}]}"#)
        #expect(chat.target == .provider("anthropic"))
        #expect(chat.request.model == "claude-haiku-4-5")
        #expect(chat.request.provider == "anthropic")
        #expect(chat.model == "anthropic/claude-haiku-4-5", "answers echo the model as the client named it")
        #expect(!chat.stream && !chat.includeUsage)
    }

    @Test(
        "bad input is a 400 naming the field",
        arguments: [
            (#"not json"#, nil as String?),
            (#"[1, 2]"#, nil),
            (#"{"messages": [{"role": "user", "content": "x"}]}"#, "model"),
            (#"{"model": "", "messages": [{"role": "user", "content": "x"}]}"#, "model"),
            (#"{"model": 4, "messages": [{"role": "user", "content": "x"}]}"#, "model"),
            (#"{"model": "m", "messages": []}"#, "messages"),
            (#"{"model": "m", "messages": "hi"}"#, "messages"),
            (#"{"model": "m", "messages": [{"role": "usr", "content": "x"}]}"#, "messages[0].role"),
            (#"{"model": "m", "messages": [{"content": "x"}]}"#, "messages[0].role"),
            (#"{"model": "m", "messages": [{"role": "user", "content": "x"}], "temperature": 3}"#, "temperature"),
            (#"{"model": "m", "messages": [{"role": "user", "content": "x"}], "temperature": "hot"}"#, "temperature"),
            (#"{"model": "m", "messages": [{"role": "user", "content": "x"}], "max_tokens": 0}"#, "max_tokens"),
            (#"{"model": "m", "messages": [{"role": "user", "content": "x"}], "max_tokens": 1.5}"#, "max_tokens"),
            (#"{"model": "m", "messages": [{"role": "user", "content": "x"}], "stop": [1]}"#, "stop[0]"),
            (#"{"model": "m", "messages": [{"role": "user", "content": "x"}], "n": 2}"#, "n"),
            (#"{"model": "m", "messages": [{"role": "user", "content": "x"}], "logprobs": true}"#, "logprobs"),
            (#"{"model": "m", "messages": [{"role": "user", "content": "x"}], "surprise": 1}"#, "surprise"),
            (#"{"model": "m", "messages": [{"role": "user", "content": "x"}], "tool_choice": "maybe"}"#, "tool_choice"),
            (
                #"{"model": "m", "messages": [{"role": "user", "content": "x"}], "tools": [{"type": "function"}]}"#,
                "tools[0].function"
            ),
            (
                #"{"model": "m", "messages": [{"role": "user", "content": "x"}], "#
                    + #""stream_options": {"include_usage": true}}"#,
                "stream_options"
            ),
        ])
    func badInput(_ json: String, _ param: String?) throws {
        let error = try #require(failure(json), "the body is refused")
        #expect(error.status == 400)
        #expect(error.type == "invalid_request_error")
        #expect(error.param == param, "\(error.message)")
        if let param { #expect(error.message.contains(param), "the message names the field: \(error.message)") }
    }
}
