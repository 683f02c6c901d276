import AgentCore
import AsyncHTTPClient
import Foundation
import NIOCore
import Signals
import Testing

@testable import Providers

/// Ollama tools, images, model management and context length, and llama.cpp, against the fake
/// upstream over real HTTP.
@Suite("Local adapters: Ollama tools, images, management; llama.cpp", .timeLimit(.minutes(2)))
struct OllamaManagementTests {
    static let weather = ToolDefinition(
        function: FunctionDefinition(
            name: "get_weather", description: "weather for a city",
            parameters: .object([
                "type": .string("object"), "properties": .object(["question": .object(["type": .string("string")])]),
            ])
        ))
    /// A 1×1 PNG.
    static let png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="

    static func image(_ data: String, mediaType: String = "image/png") -> ChatMessage {
        ChatMessage(role: .user, content: .parts([.text("what is this"), .image(.base64(data, mediaType: mediaType))]))
    }

    @Test("a tool offered and asked for comes back as tool_calls with JSON-string arguments, plain and streamed")
    func tools() async throws {
        try await withFakeUpstream { base in
            let provider = OllamaProviderTests.provider(base)
            var request = ProviderRequest(
                requestID: "t1", messages: [.user("please call get_weather for Paris")], model: "llama3.1:8b")
            request.tools = [Self.weather]
            let completion = try await provider.complete(request)
            #expect(completion.finishReason == "tool_calls")
            let call = try #require(completion.toolCalls?.first)
            #expect(call.function.name == "get_weather")
            let arguments =
                try JSONSerialization.jsonObject(with: Data(call.function.arguments.utf8)) as? [String: String]
            #expect(arguments == ["question": "please call get_weather for Paris"])

            var streamed: Completion?
            for try await event in provider.stream(request) {
                if case .finished(let done) = event { streamed = done }
            }
            #expect(streamed?.toolCalls?.first?.function.name == "get_weather")
            #expect(streamed?.finishReason == "tool_calls")

            // tool_choice "none": no tools offered (Ollama has no tool_choice), so a plain answer.
            var none = request
            none.toolChoice = .string("none")
            #expect(try await provider.complete(none).toolCalls == nil)
            #expect(try OllamaProvider.body(of: none, streaming: false)["tools"] == nil)

            // Without the request for a tool: a plain answer.
            request.messages = [.user("just talk")]
            let plain = try await provider.complete(request)
            #expect(plain.toolCalls == nil && plain.finishReason == "stop")
        }
    }

    @Test("the request body carries tools, base64 images and an assistant's tool calls as objects")
    func body() throws {
        var request = ProviderRequest(
            requestID: "b1",
            messages: [
                Self.image(Self.png),
                ChatMessage(
                    role: .assistant, content: .text(""),
                    toolCalls: [
                        ToolCall(id: "c1", function: .init(name: "get_weather", arguments: #"{"city":"Paris"}"#))
                    ]),
                ChatMessage(role: .tool, content: .text("sunny"), name: "get_weather", toolCallID: "c1"),
            ], model: "llama3.1:8b")
        request.tools = [Self.weather]
        let body = try OllamaProvider.body(of: request, streaming: false)
        let messages = try #require(body["messages"] as? [[String: Any]])
        #expect(messages[0]["images"] as? [String] == [Self.png])
        #expect(messages[0]["content"] as? String == "what is this")
        let call = (messages[1]["tool_calls"] as? [[String: Any]])?.first?["function"] as? [String: Any]
        #expect(call?["arguments"] as? [String: String] == ["city": "Paris"])
        #expect(messages[2]["tool_name"] as? String == "get_weather")
        #expect(
            ((body["tools"] as? [[String: Any]])?.first?["function"] as? [String: Any])?["name"] as? String
                == "get_weather")
    }

    @Test(
        "images: valid base64 is answered; bad base64, another media type or a URL is invalid_request naming the part")
    func images() async throws {
        try await withFakeUpstream { base in
            let provider = OllamaProviderTests.provider(base)
            let seen = try await provider.complete(
                ProviderRequest(requestID: "i1", messages: [Self.image(Self.png)], model: "llama3.1:8b"))
            #expect(seen.content.hasPrefix("Fake ollama reply"))
            let bad: [(ChatMessage, String)] = [
                (Self.image("not base64!"), "messages[0].content[1]: image data is not valid base64"),
                (
                    Self.image(Self.png, mediaType: "application/pdf"),
                    "messages[0].content[1]: image media type 'application/pdf' is not supported"
                ),
                (
                    ChatMessage(
                        role: .user, content: .parts([.imageURL(url: "https://example.com/cat.png", detail: nil)])),
                    "messages[0].content[0]: Ollama takes inline"
                ),
            ]
            for (message, expected) in bad {
                do {
                    _ = try await provider.complete(
                        ProviderRequest(requestID: "i2", messages: [message], model: "llama3.1:8b"))
                    Issue.record("\(expected): should fail")
                } catch let error as ProviderCallError {
                    #expect(error.type == .invalidRequest && !error.retryable)
                    #expect(error.message.contains(expected), "\(error.message)")
                }
            }
            // A data URL is taken apart into Ollama's base64 image.
            let dataURL = ChatMessage(
                role: .user,
                content: .parts([.text("see"), .imageURL(url: "data:image/png;base64,\(Self.png)", detail: nil)]))
            #expect(
                try await provider.complete(ProviderRequest(requestID: "i3", messages: [dataURL], model: "llama3.1:8b"))
                    .content.hasPrefix("Fake ollama reply"))
        }
    }

    @Test("the fake answers bad base64 images with Ollama's 400, which the adapter classifies as invalid_request")
    func fakeRefusesBadBase64() async throws {
        try await withFakeUpstream { base in
            var http = HTTPClientRequest(url: base + "/api/chat")
            http.method = .POST
            http.body = .bytes(
                ByteBuffer(
                    string:
                        #"""
                        {"model":"llama3.1:8b","stream":false,"messages":[{"role":"user","content":"x","images":\#
                        ["@@@"]}]}
                        """#
                ))
            let response = try await HTTPClient.shared.execute(http, timeout: .seconds(5))
            let text = String(buffer: try await response.body.collect(upTo: 1 << 16))
            #expect(response.status.code == 400)
            let offset = text.firstMatch(of: /illegal base64 data at input byte (\d+)/).flatMap { Int($0.1) }
            #expect(offset == 0, "\(text)")
        }
    }

    @Test(
        """
        load → /api/ps lists it with its size and load time; a second load is instant; show gives the context \
        length; unload frees it
        """
    )
    func management() async throws {
        try await withFakeUpstream { base in
            let provider = OllamaProviderTests.provider(base)
            let loaded = try await provider.load(model: "mistral:7b", keepAlive: .seconds(60))
            #expect(loaded.name == "mistral:7b")
            #expect(loaded.loadDuration == .milliseconds(50), "the fake's deterministic load time, from load_duration")
            #expect(loaded.sizeBytes == 4_113_301_824)
            #expect(try await provider.loadedModels().map(\.name).contains("mistral:7b"))
            let again = try await provider.load(model: "mistral:7b", keepAlive: nil)
            #expect(again.loadDuration == .zero, "already loaded")
            #expect(try await provider.contextLength(model: "mistral:7b") == 32_768)
            #expect(try await provider.contextLength(model: "qwen2.5:7b") == 32_768)
            #expect(try await provider.contextLength(model: "llama3.1:8b") == 131_072)

            let available = try await provider.availableModels()
            #expect(available.map(\.name).sorted() == ["llama3.1:8b", "mistral:7b", "qwen2.5:7b"])
            #expect(available.first { $0.name == "llama3.1:8b" }?.contextLength == 131_072)
            #expect(available.allSatisfy { ($0.sizeBytes ?? 0) > 0 && $0.family != nil })

            #expect(try await provider.unload(model: "mistral:7b") == 4_113_301_824)
            #expect(!(try await provider.loadedModels().map(\.name).contains("mistral:7b")))

            do {
                _ = try await provider.load(model: "nope:1b", keepAlive: nil)
                Issue.record("an unknown model should fail")
            } catch let error as ProviderCallError {
                #expect(error.type == .modelUnavailable)
            }
        }
    }

    @Test("a runtime that does not answer: management calls fail as retryable provider_error")
    func runtimeDown() async throws {
        // async-http-client keeps retrying a refused connection until the deadline: keep it short.
        let provider = OllamaProvider(
            configuration: HTTPProviderConfiguration(
                baseURL: "http://127.0.0.1:\(try closedPort())", requestTimeout: .milliseconds(500), models: []
            ))
        for call in [
            { _ = try await provider.load(model: "mistral:7b", keepAlive: nil) },
            { _ = try await provider.loadedModels() },
        ] as [@Sendable () async throws -> Void] {
            do {
                try await call()
                Issue.record("should fail")
            } catch let error as ProviderCallError {
                #expect(error.type == .providerError && error.retryable)
            }
        }
    }

    @Test(
        """
        the context length /api/show reports is the window: prompt estimate + max_tokens above it is refused \
        before the call
        """
    )
    func contextLength() async throws {
        try await withFakeUpstream { base in
            // Configured with 8,192 tokens for llama3.1:8b; the server says 131,072, and wins.
            let provider = OllamaProviderTests.provider(base)
            let large = ProviderRequest(
                requestID: "c1", messages: [.user("hello")], model: "llama3.1:8b", maxTokens: 40_000)
            #expect(try await provider.complete(large).content.hasPrefix("Fake ollama reply"))
            let tooLarge = ProviderRequest(
                requestID: "c2", messages: [.user("hello")], model: "qwen2.5:7b", maxTokens: 40_000)
            do {
                _ = try await provider.complete(tooLarge)
                Issue.record("40,000 tokens exceed qwen2.5's 32,768")
            } catch let error as ProviderCallError {
                #expect(error.type == .contextLengthExceeded && !error.retryable)
                let window = error.message.firstMatch(of: /the (\d+)-token context length of 'qwen2\.5:7b'/)
                    .flatMap { Int($0.1) }
                #expect(window == 32_768, "\(error.message)")
            }
        }
    }

    @Test(
        """
        llama.cpp: chat through the OpenAI endpoint, /health ok → healthy, loading (503) → degraded, no server → \
        unavailable
        """
    )
    func llamaCpp() async throws {
        try await withFakeUpstream { base in
            let provider = LlamaCppProvider(
                configuration: HTTPProviderConfiguration(
                    baseURL: base, requestTimeout: .seconds(10),
                    models: [ModelInfo(id: "gpt-4o-mini", contextWindow: 8_192)]
                ))
            let completion = try await provider.complete(
                ProviderRequest(requestID: "l1", messages: [.user("hi llama.cpp")], model: "gpt-4o-mini"))
            #expect(completion.content.hasPrefix("Fake openai reply from gpt-4o-mini"))
            #expect(await provider.health() == .healthy)
            var loading = HTTPClientRequest(url: base + "/fake/llamacpp/loading")
            loading.method = .POST
            loading.body = .bytes(ByteBuffer(string: #"{"loading":true}"#))
            #expect(try await HTTPClient.shared.execute(loading, timeout: .seconds(5)).status == .ok)
            #expect(await provider.health() == .degraded)
        }
        let gone = LlamaCppProvider(
            configuration: HTTPProviderConfiguration(baseURL: "http://127.0.0.1:\(try closedPort())", models: []))
        #expect(await gone.health() == .unavailable)
    }

    /// A loopback port nothing listens on.
    func closedPort() throws -> Int {
        let socket = try ServerBootstrapPort.bindAndClose()
        return socket
    }
}

/// Binds an ephemeral loopback port and releases it (nothing listens there afterwards).
enum ServerBootstrapPort {
    static func bindAndClose() throws -> Int {
        #if canImport(Glibc)
            let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { Glibc.close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
                }
            }
            guard bound else { throw CancellationError() }
            return Int(UInt16(bigEndian: address.sin_port))
        #else
            return 9
        #endif
    }
}
