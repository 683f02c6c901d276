import AgentCore
import FakeUpstream
import Foundation
import Signals
import Testing

@testable import Providers

@Suite("OpenAI adapter against the fake upstream (real HTTP)", .timeLimit(.minutes(2)))
struct OpenAIProviderTests {
    static let secret = "sk-test-never-printed-42"

    static func provider(_ base: String, headers: [String: String] = [:], timeout: Duration = .seconds(10))
        -> OpenAIProvider
    {
        var configuration = HTTPProviderConfiguration(
            baseURL: base, apiKey: secret, requestTimeout: timeout,
            models: [ModelInfo(id: "gpt-4o-mini", contextWindow: 128_000, features: [.chat, .streaming, .tools])]
        )
        configuration.extraHeaders = headers
        return OpenAIProvider(configuration: configuration)
    }

    static let request = ProviderRequest(
        requestID: "r1", messages: [.system("be brief"), .user("hello adapter")], model: "gpt-4o-mini",
        temperature: 0.3, maxTokens: 64
    )

    static func failure(
        _ base: String, fault: String? = nil, model: String = "gpt-4o-mini", timeout: Duration = .seconds(10),
        latencyMs: Int? = nil
    ) async -> ProviderCallError? {
        var headers: [String: String] = [:]
        if let fault { headers["x-fake-fault"] = fault }
        if let latencyMs { headers["x-fake-latency-ms"] = "\(latencyMs)" }
        var request = Self.request
        request.model = model
        do {
            _ = try await provider(base, headers: headers, timeout: timeout).complete(request)
            return nil
        } catch {
            return error
        }
    }

    @Test("a completion: content, usage, finish reason over real HTTP; the stream's deltas add up to the same text")
    func completeAndStream() async throws {
        try await withFakeUpstream { base in
            let provider = Self.provider(base)
            let completion = try await provider.complete(Self.request)
            #expect(completion.content.hasPrefix("Fake openai reply from gpt-4o-mini to \"hello adapter\""))
            #expect(completion.finishReason == "stop")
            #expect(completion.usage.promptTokens > 0 && completion.usage.completionTokens > 0)
            var deltas: [String] = []
            var finished: Completion?
            for try await event in provider.stream(Self.request) {
                switch event {
                case .delta(let text): deltas.append(text)
                case .finished(let completion): finished = completion
                }
            }
            #expect(deltas.count == 5)
            #expect(deltas.joined() == completion.content)
            #expect(finished?.content == completion.content)
            #expect(finished?.usage == completion.usage, "usage from stream_options.include_usage")
        }
    }

    @Test("error mapping: 429 with retry-after, 5xx, unknown model, not JSON, a timeout, and no key in any message")
    func errors() async throws {
        try await withFakeUpstream { base in
            let limited = await Self.failure(base, fault: "429")
            #expect(limited?.type == .rateLimited)
            #expect(limited?.retryable == true)
            #expect(limited?.retryAfter == .seconds(1), "retry-after: 1")
            let failed = await Self.failure(base, fault: "500")
            #expect(failed?.type == .providerError)
            #expect(failed?.retryable == true)
            #expect(failed?.breakerKind == .upstreamServerError)
            let unknown = await Self.failure(base, model: "gpt-0")
            #expect(unknown?.type == .modelUnavailable)
            #expect(unknown?.retryable == false)
            let garbage = await Self.failure(base, fault: "malformed")
            #expect(garbage?.type == .providerError)
            #expect(garbage?.message.contains("not JSON") == true)
            let slow = await Self.failure(base, timeout: .milliseconds(300), latencyMs: 3_000)
            #expect(slow?.type == .timeout)
            for error in [limited, failed, unknown, garbage, slow] {
                #expect(error.map { !"\($0)".contains(Self.secret) } ?? false, "the API key never appears in an error")
            }
        }
    }

    @Test("a stream cut mid-way ends with a clear retryable error, after the deltas that did arrive")
    func cutStream() async throws {
        try await withFakeUpstream { base in
            var deltas = 0
            do {
                for try await event in Self.provider(base, headers: ["x-fake-fault": "cut"]).stream(Self.request) {
                    if case .delta = event { deltas += 1 }
                }
                Issue.record("the stream should fail")
            } catch let error as ProviderCallError {
                #expect(error.type == .providerError)
                #expect(error.retryable)
                #expect(error.message.contains("cut mid-way"), "\(error)")
            }
            #expect(deltas > 0, "the deltas before the cut arrive first")
            #expect(deltas < 5, "not every delta arrived")
        }
    }

    @Test("tools go out with the request; a tool call comes back with finish_reason tool_calls")
    func toolCalls() async throws {
        try await withFakeUpstream { base in
            var request = Self.request
            request.messages = [.user("please call get_weather for Paris")]
            request.tools = [
                ToolDefinition(
                    function: FunctionDefinition(
                        name: "get_weather", description: "weather of a city",
                        parameters: .object(["type": .string("object")])))
            ]
            let completion = try await Self.provider(base).complete(request)
            #expect(completion.finishReason == "tool_calls")
            let call = try #require(completion.toolCalls?.first)
            #expect(call.function.name == "get_weather")
            #expect(call.function.arguments.contains("Paris"))
            #expect(completion.content.isEmpty)
        }
    }

    @Test("a streamed tool call: fragments accumulated by index into the final completion's tool calls")
    func streamedToolCall() async throws {
        try await withFakeUpstream { base in
            var request = Self.request
            request.messages = [.user("please call get_weather for Paris")]
            request.tools = [
                ToolDefinition(
                    function: FunctionDefinition(name: "lookup", parameters: .object(["type": .string("object")]))),
                ToolDefinition(
                    function: FunctionDefinition(
                        name: "get_weather", description: "weather of a city",
                        parameters: .object(["type": .string("object")]))),
            ]
            var finished: Completion?
            for try await event in Self.provider(base).stream(request) {
                if case .finished(let completion) = event { finished = completion }
            }
            let completion = try #require(finished)
            #expect(completion.finishReason == "tool_calls")
            let call = try #require(completion.toolCalls?.first)
            #expect(completion.toolCalls?.count == 1)
            #expect(call.id.hasPrefix("call_"))
            #expect(call.function.name == "get_weather")
            let arguments =
                try JSONSerialization.jsonObject(with: Data(call.function.arguments.utf8)) as? [String: String]
            #expect(
                arguments == ["question": "please call get_weather for Paris"], "the fragments join to the whole JSON")
        }
    }

    @Test("stream fragments of two tool calls interleaved by index come out whole and in index order")
    func toolCallFragments() throws {
        var accumulator = OpenAIProvider.StreamAccumulator(model: "m")
        for payload in [
            #"""
            {"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"b","type":"function","function":\#
            {"name":"second","arguments":""}}]}}]}
            """#,
            #"""
            {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"a","type":"function","function":\#
            {"name":"first","arguments":"{\"x\""}}]}}]}
            """#,
            #"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"{}"}}]}}]}"#,
            #"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":":1}"}}]}}]}"#,
            #"{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#,
        ] {
            _ = try accumulator.add(payload)
        }
        let completion = try accumulator.completion()
        #expect(
            completion.toolCalls == [
                ToolCall(id: "a", function: .init(name: "first", arguments: #"{"x":1}"#)),
                ToolCall(id: "b", function: .init(name: "second", arguments: "{}")),
            ])
        var broken = OpenAIProvider.StreamAccumulator(model: "m")
        _ = try broken.add(
            #"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{}"}}]}}]}"#)
        #expect(throws: ProviderCallError.self) { try broken.completion() }
    }

    @Test("the request body: messages with parts, parameters, stream options")
    func requestBody() throws {
        var request = Self.request
        request.messages.append(
            ChatMessage(
                role: .user,
                content: .parts([.text("what is this?"), .imageURL(url: "https://x/y.png", detail: "low")])))
        request.stop = ["END"]
        let body = OpenAIProvider.body(of: request, streaming: true)
        #expect(body["model"] as? String == "gpt-4o-mini")
        #expect(body["max_tokens"] as? Int == 64)
        #expect(body["stop"] as? [String] == ["END"])
        #expect((body["stream_options"] as? [String: Bool])?["include_usage"] == true)
        let messages = try #require(body["messages"] as? [[String: Any]])
        #expect(messages.count == 3)
        let parts = try #require(messages[2]["content"] as? [[String: Any]])
        #expect((parts[1]["image_url"] as? [String: Any])?["url"] as? String == "https://x/y.png")
    }
}

@Suite("Server-sent events and rate-limit headers")
struct ServerSentEventsTests {
    @Test("events split across feeds, CRLF line ends, comments, multi-line data")
    func parser() {
        var parser = ServerSentEvents()
        var events: [ServerSentEvents.Event] = []
        for piece in [
            "data: {\"a\"", ":1}\n", "\n: comment\r", "\nevent: ping\r\ndata: x\r\ndata: y\r\n\r\n", "data: [DONE]\n\n",
        ] {
            events += parser.feed(Array(piece.utf8))
        }
        #expect(
            events == [
                .init(event: nil, data: "{\"a\":1}"), .init(event: "ping", data: "x\ny"),
                .init(event: nil, data: "[DONE]"),
            ])
    }

    @Test("retry-after in seconds, milliseconds, OpenAI reset durations")
    func retryAfter() {
        #expect(HTTPErrorMapping.retryAfter(["retry-after": "2"]) == .seconds(2))
        #expect(HTTPErrorMapping.retryAfter(["retry-after-ms": "1500"]) == .milliseconds(1500))
        #expect(
            HTTPErrorMapping.retryAfter(["x-ratelimit-reset-requests": "6ms", "x-ratelimit-reset-tokens": "1m30s"])
                == .seconds(90))
        #expect(HTTPErrorMapping.parseResetDuration("1.5s") == .milliseconds(1500))
        #expect(HTTPErrorMapping.parseResetDuration("soon") == nil)
        #expect(HTTPErrorMapping.retryAfter([:]) == nil)
    }
}
