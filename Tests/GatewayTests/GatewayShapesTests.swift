import Common
import Foundation
import Gateway
import Kafka
import Router
import Signals
import Testing

@Suite("Gateway: answers, errors, models and settings")
struct GatewayShapesTests {
    private static func object(_ bytes: [UInt8]) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    /// The JSON of each `data:` event of a stream (`[DONE]` as the string).
    private static func events(_ bytes: [UInt8]) throws -> [Any] {
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasSuffix("\n\n"), "events end with a blank line")
        return try text.components(separatedBy: "\n\n").filter { !$0.isEmpty }.map { event in
            #expect(event.hasPrefix("data: "))
            let payload = String(event.dropFirst("data: ".count))
            return payload == "[DONE]" ? payload : try JSONSerialization.jsonObject(with: Data(payload.utf8))
        }
    }

    private let response = ProviderResponse(
        requestID: "r-1", response: "Hello", provider: "openai", model: "gpt-4o-mini", latencyMs: 3,
        usage: TokenUsage(promptTokens: 3, completionTokens: 2, totalTokens: 5), finishReason: "stop")

    @Test("a completion is OpenAI's chat.completion object")
    func completion() throws {
        let renderer = ChatCompletionRenderer(requestID: "r-1", model: "gpt-4o-mini", created: 1_700_000_000)
        let json = try Self.object(renderer.completion(response))
        #expect(json["id"] as? String == "chatcmpl-r-1")
        #expect(json["object"] as? String == "chat.completion")
        #expect(json["created"] as? Int == 1_700_000_000)
        #expect(json["model"] as? String == "gpt-4o-mini")
        let choice = try #require((json["choices"] as? [[String: Any]])?.first)
        let message = try #require(choice["message"] as? [String: Any])
        #expect(message["role"] as? String == "assistant")
        #expect(message["content"] as? String == "Hello")
        #expect(choice["finish_reason"] as? String == "stop")
        let usage = try #require(json["usage"] as? [String: Int])
        #expect(usage == ["prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5])
    }

    @Test("tool calls: content null, finish_reason tool_calls, the calls as OpenAI writes them")
    func toolCalls() throws {
        var tooled = response
        tooled.response = ""
        tooled.toolCalls = [ToolCall(id: "call_1", function: .init(name: "lookup", arguments: #"{"q":"x"}"#))]
        let renderer = ChatCompletionRenderer(requestID: "r-1", model: "m", created: 0)
        let json = try Self.object(renderer.completion(tooled))
        let choice = try #require((json["choices"] as? [[String: Any]])?.first)
        let message = try #require(choice["message"] as? [String: Any])
        #expect(message["content"] is NSNull)
        #expect(choice["finish_reason"] as? String == "tool_calls")
        let call = try #require((message["tool_calls"] as? [[String: Any]])?.first)
        #expect(call["id"] as? String == "call_1")
        #expect(call["type"] as? String == "function")
        #expect((call["function"] as? [String: String]) == ["name": "lookup", "arguments": #"{"q":"x"}"#])
    }

    @Test("a stream: role, deltas, the finish reason, the usage chunk when asked for, then [DONE]")
    func stream() throws {
        let renderer = ChatCompletionRenderer(requestID: "r-1", model: "m", created: 0, includeUsage: true)
        let bytes =
            renderer.opening() + renderer.delta("Hel") + renderer.delta("lo")
            + renderer.closing(response, streamedText: true)
        let events = try Self.events(bytes)
        #expect(events.count == 6)
        #expect(events.last as? String == "[DONE]")
        let chunks = events.dropLast().compactMap { $0 as? [String: Any] }
        #expect(chunks.count == 5)
        #expect(
            chunks.allSatisfy {
                $0["object"] as? String == "chat.completion.chunk" && $0["id"] as? String == "chatcmpl-r-1"
            })
        let deltas = chunks.prefix(3).compactMap {
            (($0["choices"] as? [[String: Any]])?.first?["delta"] as? [String: String])?["content"]
        }
        #expect(deltas == ["", "Hel", "lo"])
        let finish = (chunks[3]["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String
        #expect(finish == "stop")
        #expect(chunks[3]["usage"] is NSNull, "with include_usage every other chunk has usage null")
        #expect((chunks[4]["choices"] as? [Any])?.isEmpty == true)
        #expect((chunks[4]["usage"] as? [String: Int])?["total_tokens"] == 5)
    }

    @Test(
        "a provider's final error becomes the status the SDKs expect",
        arguments: [
            (ProviderErrorType.invalidRequest, 400), (.rateLimited, 429), (.circuitOpen, 503), (.overloaded, 503),
            (.deadlineExceeded, 504), (.timeout, 504), (.modelUnavailable, 404), (.providerError, 502),
            (.authentication, 502), (.contextLengthExceeded, 400), (.contentFiltered, 400),
        ])
    func errorStatus(_ type: ProviderErrorType, _ status: Int) throws {
        let error = GatewayError(
            ProviderError(requestID: "r", errorType: type, error: "it failed", retryable: false, retryAfterMs: 1_500))
        #expect(error.status == status)
        #expect(error.message == "it failed")
        if status == 429 { #expect(error.retryAfterSeconds == 2, "Retry-After rounds the wait up") }
        let body = try Self.object(error.openAIBody)
        let inner = try #require(body["error"] as? [String: Any])
        #expect(inner["message"] as? String == "it failed")
        #expect(inner["type"] as? String == error.type)
        #expect(inner.keys.contains("param") && inner.keys.contains("code"), "every member is present")
    }

    private static func summary(_ provider: String, models: [String]?, breaker: String = "closed") -> ProviderSummary {
        var registry = ProviderRegistry()
        registry.apply(
            ProviderStatus(
                provider: provider, status: "healthy",
                circuitBreaker: .init(state: breaker, failureCount: 0, retryAfterMs: breaker == "open" ? 4_000 : nil),
                rateLimiter: .init(limit: 100, windowMs: 60_000, currentCount: 0),
                metrics: ProviderStatus.Metrics(totalRequests: 1, successRate: 1), instance: "\(provider)-1",
                models: models),
            receivedAt: .now)
        return registry.providers(at: .now)[0]
    }

    @Test("the models list and the early verdicts come from the registry")
    func catalog() {
        let catalog = ModelCatalog(providers: [
            Self.summary("anthropic", models: ["claude-haiku-4-5"], breaker: "open"),
            Self.summary("openai", models: ["gpt-4o-mini", "gpt-4o"]),
        ])
        #expect(
            catalog.entries.map(\.id) == [
                "anthropic/claude-haiku-4-5", "claude-haiku-4-5", "gpt-4o", "gpt-4o-mini", "openai/gpt-4o",
                "openai/gpt-4o-mini",
            ])
        #expect(catalog.verdict(model: "gpt-4o", target: .router) == .serve)
        #expect(catalog.verdict(model: "openai/gpt-4o", target: .provider("openai")) == .serve)
        guard case .unknown = catalog.verdict(model: "nope", target: .router) else {
            Issue.record("an unknown model is unknown")
            return
        }
        guard case .unknown = catalog.verdict(model: "openai/nope", target: .provider("openai")) else {
            Issue.record("a model the provider does not serve is unknown")
            return
        }
        guard case .unknown = catalog.verdict(model: "nobody/gpt-4o", target: .provider("nobody")) else {
            Issue.record("an unknown provider is unknown")
            return
        }
        #expect(
            catalog.verdict(model: "claude-haiku-4-5", target: .router)
                == .unavailable("no provider serving `claude-haiku-4-5` can take requests now", retryAfterMs: 4_000))
        #expect(ModelCatalog(providers: []).verdict(model: "any", target: .router) == .serve, "no status yet")
        #expect(
            ModelCatalog(providers: [Self.summary("local", models: nil)]).verdict(model: "any", target: .router)
                == .serve, "a provider without a model list takes any model")
    }

    @Test("settings: keys from the environment, loopback only without keys, each rule names its setting")
    func settings() throws {
        let keys = try GatewayConfiguration.keys(fromEnvironment: "sk-a, sk-b")
        #expect(keys.map(\.name) == ["key-1", "key-2"])
        #expect(keys.map(\.secret) == ["sk-a", "sk-b"])
        #expect(!"\(keys[0])".contains("sk-a"), "a key prints its name, never its secret")
        #expect(throws: InvalidSetting.self) { try GatewayConfiguration.keys(fromEnvironment: "sk-a,,sk-b") }
        let kafka = KafkaConfiguration(bootstrapServers: "127.0.0.1:9092")
        var open = GatewayConfiguration(kafka: kafka, instanceID: "g", listenHost: "0.0.0.0")
        do {
            try open.validate()
            Issue.record("without keys the gateway refuses a non-loopback address")
        } catch {
            #expect(error.field == "listen")
            #expect(error.message.contains(GatewayConfiguration.keysVariable))
        }
        open.keys = keys
        try open.validate()
        open.keys = [GatewayKey(name: "a", secret: "same"), GatewayKey(name: "b", secret: "same")]
        #expect(throws: InvalidSetting.self) { try open.validate() }
        try GatewayConfiguration(kafka: kafka, instanceID: "g", listenHost: "127.0.0.1").validate()
    }
}
