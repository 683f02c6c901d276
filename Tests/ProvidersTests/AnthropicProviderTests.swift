import AgentCore
import Foundation
import Signals
import Testing

@testable import Providers

@Suite("Anthropic adapter against the fake upstream (real HTTP)", .timeLimit(.minutes(2)))
struct AnthropicProviderTests {
    static let secret = "sk-ant-test-never-printed-9"

    static func provider(_ base: String, headers: [String: String] = [:]) -> AnthropicProvider {
        var configuration = HTTPProviderConfiguration(
            baseURL: base, apiKey: secret, requestTimeout: .seconds(10),
            models: [ModelInfo(id: "claude-haiku-4-5", contextWindow: 200_000, features: [.chat, .streaming, .vision])]
        )
        configuration.extraHeaders = headers
        return AnthropicProvider(configuration: configuration)
    }

    static let request = ProviderRequest(
        requestID: "a1", messages: [.system("be brief"), .user("hello claude")], model: "claude-haiku-4-5",
        maxTokens: 64)

    static func failure(_ base: String, fault: String? = nil, request: ProviderRequest = request) async
        -> ProviderCallError?
    {
        do {
            _ = try await provider(base, headers: fault.map { ["x-fake-fault": $0] } ?? [:]).complete(request)
            return nil
        } catch {
            return error
        }
    }

    @Test("a message with the system prompt mapped; the event stream adds up to the same text with usage")
    func completeAndStream() async throws {
        try await withFakeUpstream { base in
            let provider = Self.provider(base)
            let completion = try await provider.complete(Self.request)
            #expect(completion.content.hasPrefix("Fake anthropic reply from claude-haiku-4-5 to \"hello claude\""))
            #expect(completion.finishReason == "stop")
            #expect(completion.usage.promptTokens > 0 && completion.usage.completionTokens > 0)
            var deltas: [String] = []
            var finished: Completion?
            for try await event in provider.stream(Self.request) {
                switch event {
                case .delta(let text): deltas.append(text)
                case .finished(let done): finished = done
                }
            }
            #expect(deltas.joined() == completion.content)
            #expect(finished?.usage == completion.usage)
        }
    }

    @Test(
        """
        529 overloaded is retryable, 429 carries retry-after, a spend limit is not retryable, a too-long prompt \
        never reaches the upstream
        """
    )
    func errors() async throws {
        try await withFakeUpstream { base in
            let overloaded = await Self.failure(base, fault: "529")
            #expect(overloaded?.type == .overloaded)
            #expect(overloaded?.retryable == true)
            let limited = await Self.failure(base, fault: "429")
            #expect(limited?.type == .rateLimited)
            #expect(limited?.retryAfter == .seconds(1))
            let garbage = await Self.failure(base, fault: "malformed")
            #expect(garbage?.type == .providerError)
            var long = Self.request
            long.messages = [.user(String(repeating: "word ", count: 170_000))]
            let tooLong = await Self.failure(base, request: long)
            #expect(tooLong?.type == .contextLengthExceeded)
            let window = tooLong?.message.firstMatch(of: /the (\d+)-token context window/).flatMap { Int($0.1) }
            #expect(window == 200_000, "\(String(describing: tooLong))")
            for error in [overloaded, limited, garbage, tooLong] {
                #expect(error.map { !"\($0)".contains(Self.secret) } ?? false)
            }
        }
        let spend = AnthropicProvider.error(
            status: 429,
            body:
                #"""
                {"type":"error","error":{"type":"rate_limit_error","message":"You have reached your specified API \#
                usage limits (spend limit)."}}
                """#,
            headers: ["retry-after": "60"])
        #expect(spend.type == .rateLimited)
        #expect(!spend.retryable)
    }

    static let weatherTool = ToolDefinition(
        function: FunctionDefinition(
            name: "get_weather", description: "weather of a city",
            parameters: .object([
                "type": .string("object"), "properties": .object(["city": .object(["type": .string("string")])]),
            ])
        ))

    @Test(
        """
        tools: a tool_use block comes back as a tool call (arguments as JSON text), plain and streamed \
        (input_json_delta)
        """
    )
    func toolUse() async throws {
        try await withFakeUpstream { base in
            var request = Self.request
            request.messages = [.user("please call get_weather for Paris")]
            request.tools = [Self.weatherTool]
            let completion = try await Self.provider(base).complete(request)
            #expect(completion.finishReason == "tool_calls")
            let call = try #require(completion.toolCalls?.first)
            #expect(call.id.hasPrefix("toolu_"))
            #expect(call.function.name == "get_weather")
            #expect(
                try JSONSerialization.jsonObject(with: Data(call.function.arguments.utf8)) as? [String: String] == [
                    "question": "please call get_weather for Paris"
                ])
            var finished: Completion?
            for try await event in Self.provider(base).stream(request) {
                if case .finished(let done) = event { finished = done }
            }
            #expect(finished?.finishReason == "tool_calls")
            #expect(finished?.toolCalls?.map(\.function.name) == ["get_weather"])
            #expect(
                finished?.toolCalls?.first?.function.arguments == call.function.arguments,
                "the partial_json fragments join to the same input")
            // tool_choice none: no call even when asked.
            request.toolChoice = .string("none")
            #expect(try await Self.provider(base).complete(request).toolCalls == nil)
            // The conversation continues with the call and its result: a text answer.
            request.toolChoice = nil
            request.messages += [
                ChatMessage(role: .assistant, content: .text(""), toolCalls: [call]),
                ChatMessage(role: .tool, content: .text("sunny, 21 °C"), toolCallID: call.id),
            ]
            let answer = try await Self.provider(base).complete(request)
            #expect(answer.finishReason == "stop")
            #expect(answer.toolCalls == nil)
        }
    }

    @Test(
        """
        tool_choice mapping; tool calls and tool results as tool_use / tool_result blocks; bad ones refused before \
        any call
        """
    )
    func toolBody() throws {
        #expect(try AnthropicProvider.toolChoice(.string("auto")) as? [String: String] == ["type": "auto"])
        #expect(try AnthropicProvider.toolChoice(.string("required")) as? [String: String] == ["type": "any"])
        #expect(try AnthropicProvider.toolChoice(.string("none")) as? [String: String] == ["type": "none"])
        #expect(
            try AnthropicProvider.toolChoice(
                .object(["type": .string("function"), "function": .object(["name": .string("get_weather")])]))
                as? [String: String] == ["type": "tool", "name": "get_weather"])
        #expect(throws: ProviderCallError.self) { try AnthropicProvider.toolChoice(.string("sometimes")) }

        let call = ToolCall(id: "toolu_1", function: .init(name: "get_weather", arguments: #"{"city":"Paris"}"#))
        var request = ProviderRequest(
            requestID: "t",
            messages: [
                .user("weather?"),
                ChatMessage(
                    role: .assistant, content: .text("checking"),
                    toolCalls: [
                        call,
                        ToolCall(id: "toolu_2", function: .init(name: "get_weather", arguments: #"{"city":"Rome"}"#)),
                    ]),
                ChatMessage(role: .tool, content: .text("sunny"), toolCallID: "toolu_1"),
                ChatMessage(role: .tool, content: .text("rain"), toolCallID: "toolu_2"),
            ], model: "claude-haiku-4-5", tools: [Self.weatherTool], toolChoice: .string("required"))
        let body = try AnthropicProvider.body(of: request, streaming: false)
        let tools = try #require(body["tools"] as? [[String: Any]])
        #expect(tools.first?["name"] as? String == "get_weather")
        #expect(tools.first?["description"] as? String == "weather of a city")
        #expect((tools.first?["input_schema"] as? [String: Any])?["type"] as? String == "object")
        #expect(body["tool_choice"] as? [String: String] == ["type": "any"])
        let messages = try #require(body["messages"] as? [[String: Any]])
        #expect(messages.count == 3, "the two tool results go back in one user message")
        let assistant = try #require(messages[1]["content"] as? [[String: Any]])
        #expect(assistant.map { $0["type"] as? String } == ["text", "tool_use", "tool_use"])
        #expect(assistant[1]["input"] as? [String: String] == ["city": "Paris"])
        let results = try #require(messages[2]["content"] as? [[String: Any]])
        #expect(messages[2]["role"] as? String == "user")
        #expect(results.map { $0["tool_use_id"] as? String } == ["toolu_1", "toolu_2"])
        #expect(results.first?["content"] as? String == "sunny")

        var toolless = request
        toolless.tools = nil
        #expect(
            try AnthropicProvider.body(of: toolless, streaming: false)["tool_choice"] == nil,
            "no tool_choice without tools")

        request.messages[2].toolCallID = nil
        #expect(
            throws: ProviderCallError.invalidRequest(
                "messages[2]: a tool message needs tool_call_id (the id of the call it answers)")
        ) {
            try AnthropicProvider.body(of: request, streaming: false)
        }
        request.messages[2].toolCallID = "toolu_1"
        request.messages[1].toolCalls?[0].function.arguments = "not json"
        #expect(throws: ProviderCallError.invalidRequest("messages[1].tool_calls[0]: arguments are not a JSON object"))
        {
            try AnthropicProvider.body(of: request, streaming: false)
        }
    }

    @Test("request body: system out of the messages, max_tokens default, images as blocks")
    func body() throws {
        var request = ProviderRequest(
            requestID: "b", messages: [.system("rules"), .user("hi")], model: "claude-haiku-4-5")
        request.messages.append(
            ChatMessage(
                role: .user,
                content: .parts([
                    .text("see"), .image(ImageSource(type: "base64", mediaType: "image/jpeg", data: "AAAA")),
                ])))
        let body = try AnthropicProvider.body(of: request, streaming: false)
        #expect(body["system"] as? String == "rules")
        #expect(body["max_tokens"] as? Int == 1024)
        let messages = try #require(body["messages"] as? [[String: Any]])
        #expect(messages.count == 2)
        let blocks = try #require(messages[1]["content"] as? [[String: Any]])
        #expect((blocks[1]["source"] as? [String: Any])?["media_type"] as? String == "image/jpeg")
    }
}
