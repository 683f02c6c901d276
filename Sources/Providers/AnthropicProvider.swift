public import AgentCore
public import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
public import Signals

/// The Anthropic Messages API (`POST /v1/messages`) over HTTP: `x-api-key` and
/// `anthropic-version` headers, the system prompt taken out of the messages, `max_tokens`
/// required (1024 when the request has none), images as content blocks, streaming events
/// (`message_start`, `content_block_delta`, `message_delta`, `message_stop`, `ping`, `error`).
/// A request whose estimated prompt plus `max_tokens` exceeds the model's context window is
/// refused with `context_length_exceeded` before any call.
public final class AnthropicProvider: LLMProvider {
    public let name: String
    private let configuration: HTTPProviderConfiguration
    let upstream: HTTPUpstream
    private let version: String

    public static let defaultMaxTokens = 1024

    public init(name: String = "anthropic", configuration: HTTPProviderConfiguration, version: String = "2023-06-01", client: HTTPClient = .shared) {
        self.name = name
        self.configuration = configuration
        self.version = version
        self.upstream = HTTPUpstream(configuration: configuration, client: client)
    }

    public var supportedFeatures: Set<ProviderFeature> { [.chat, .streaming, .tools, .vision] }

    public func models() async throws(ProviderCallError) -> [ModelInfo] { configuration.models }

    public func health() async -> ProviderHealth { .healthy }

    public func complete(_ request: ProviderRequest) async throws(ProviderCallError) -> Completion {
        let response = try await send(request, streaming: false)
        return try Self.completion(from: try await upstream.body(of: response), requestedModel: request.model ?? "")
    }

    public func stream(_ request: ProviderRequest) -> AsyncThrowingStream<StreamEvent, any Error> {
        HTTPUpstream.stream(open: { () throws(ProviderCallError) in try await self.send(request, streaming: true) }) { response, continuation in
            var parser = ServerSentEvents()
            var accumulator = StreamAccumulator(model: request.model ?? "")
            for try await buffer in response.body {
                for event in parser.feed(buffer.readableBytesView) where !accumulator.stopped {
                    if let delta = try accumulator.add(event) { continuation.yield(.delta(delta)) }
                }
            }
            guard accumulator.stopped else {
                throw ProviderCallError(type: .providerError, message: "the stream was cut mid-way: it ended before message_stop", retryable: true, breakerKind: .connection)
            }
            continuation.yield(.finished(try accumulator.completion()))
        }
    }

    // MARK: HTTP

    private func send(_ request: ProviderRequest, streaming: Bool) async throws(ProviderCallError) -> HTTPClientResponse {
        let model = request.model ?? ""
        let window = configuration.models.first { $0.id == model }?.contextWindow ?? 200_000
        let estimate = AdmissionController.estimatedTokens(request, defaultMaxTokens: Self.defaultMaxTokens)
        guard estimate <= window else {
            throw ProviderCallError(
                type: .contextLengthExceeded,
                message: "about \(estimate) tokens (prompt estimate + max_tokens) exceed the \(window)-token context window of '\(model)'",
                retryable: false
            )
        }
        var headers = [("anthropic-version", version)]
        if let key = configuration.apiKey { headers.append(("x-api-key", key)) }
        return try await upstream.post("/v1/messages", headers: headers, json: Self.body(of: request, streaming: streaming)) { status, text, headers in
            Self.error(status: status, body: text, headers: headers)
        }
    }

    /// Anthropic specifics first (529 overloaded, a spend limit), then the shared mapping.
    static func error(status: Int, body: String, headers: [String: String]) -> ProviderCallError {
        let object = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
        let detail = object?["error"] as? [String: Any]
        let message = detail?["message"] as? String ?? (body.count > 300 ? String(body.prefix(300)) + "…" : body)
        if status == 529 || detail?["type"] as? String == "overloaded_error" {
            return ProviderCallError(
                type: .overloaded, message: "upstream overloaded (\(status)): \(message)", retryable: true,
                retryAfter: HTTPErrorMapping.retryAfter(headers) ?? .seconds(1), breakerKind: .upstreamServerError
            )
        }
        if status == 429, ["spend", "credit", "billing"].contains(where: message.lowercased().contains) {
            return ProviderCallError(type: .rateLimited, message: "upstream spend limit reached (429): \(message)", retryable: false, breakerKind: .other)
        }
        return HTTPErrorMapping.error(status: status, message: message, headers: headers)
    }

    // MARK: Wire format

    static let stopReasons: [String: String] = [
        "end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length", "tool_use": "tool_calls", "pause_turn": "stop", "refusal": "content_filter",
    ]

    static func body(of request: ProviderRequest, streaming: Bool) -> [String: Any] {
        let system = request.messages.filter { $0.role == .system }.map(\.content.plainText).joined(separator: "\n")
        var body: [String: Any] = [
            "model": request.model ?? "",
            "max_tokens": request.maxTokens ?? defaultMaxTokens,
            "messages": request.messages.filter { $0.role != .system }.map(message),
        ]
        if !system.isEmpty { body["system"] = system }
        if let value = request.temperature { body["temperature"] = min(value, 1) }
        if let value = request.topP { body["top_p"] = value }
        if let value = request.stop { body["stop_sequences"] = value }
        if streaming { body["stream"] = true }
        return body
    }

    static func message(_ message: ChatMessage) -> [String: Any] {
        let role = message.role == .assistant ? "assistant" : "user"
        switch message.content {
        case .text(let text):
            return ["role": role, "content": text]
        case .parts(let parts):
            return ["role": role, "content": parts.map { part -> [String: Any] in
                switch part {
                case .text(let text): return ["type": "text", "text": text]
                case .imageURL(let url, _): return ["type": "image", "source": ["type": "url", "url": url]]
                case .image(let source):
                    if let url = source.url { return ["type": "image", "source": ["type": "url", "url": url]] }
                    return ["type": "image", "source": ["type": "base64", "media_type": source.mediaType ?? "image/png", "data": source.data ?? ""]]
                }
            }]
        }
    }

    static func completion(from data: Data, requestedModel: String) throws(ProviderCallError) -> Completion {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ProviderCallError(type: .providerError, message: "upstream answer is not JSON: \(String(decoding: data.prefix(200), as: UTF8.self))", retryable: true, breakerKind: .upstreamServerError)
        }
        guard let blocks = object["content"] as? [[String: Any]] else {
            throw ProviderCallError(type: .providerError, message: "upstream answer has no content blocks", retryable: true, breakerKind: .upstreamServerError)
        }
        let stop = object["stop_reason"] as? String ?? "end_turn"
        guard let finishReason = stopReasons[stop] else {
            throw ProviderCallError(type: .providerError, message: "upstream answer has an unknown stop_reason '\(stop)'", retryable: false, breakerKind: .other)
        }
        let usage = object["usage"] as? [String: Any]
        return Completion(
            model: object["model"] as? String ?? requestedModel,
            content: blocks.compactMap { $0["type"] as? String == "text" ? $0["text"] as? String : nil }.joined(),
            finishReason: finishReason,
            usage: TokenUsage(promptTokens: usage?["input_tokens"] as? Int ?? 0, completionTokens: usage?["output_tokens"] as? Int ?? 0)
        )
    }

    /// Collects a stream's events into the final completion.
    struct StreamAccumulator {
        var model: String
        var content = ""
        var stopReason: String?
        var inputTokens = 0
        var outputTokens = 0
        var stopped = false

        mutating func add(_ event: ServerSentEvents.Event) throws(ProviderCallError) -> String? {
            guard let object = (try? JSONSerialization.jsonObject(with: Data(event.data.utf8))) as? [String: Any] else {
                throw ProviderCallError(type: .providerError, message: "upstream stream event is not JSON: \(event.data.prefix(200))", retryable: true, breakerKind: .upstreamServerError)
            }
            switch object["type"] as? String ?? event.event {
            case "message_start":
                let message = object["message"] as? [String: Any]
                if let value = message?["model"] as? String { model = value }
                let usage = message?["usage"] as? [String: Any]
                inputTokens = usage?["input_tokens"] as? Int ?? 0
                outputTokens = usage?["output_tokens"] as? Int ?? 0
            case "content_block_delta":
                let delta = object["delta"] as? [String: Any]
                guard delta?["type"] as? String == "text_delta", let text = delta?["text"] as? String, !text.isEmpty else { return nil }
                content += text
                return text
            case "message_delta":
                if let reason = (object["delta"] as? [String: Any])?["stop_reason"] as? String { stopReason = reason }
                if let tokens = (object["usage"] as? [String: Any])?["output_tokens"] as? Int { outputTokens = tokens }
            case "message_stop":
                stopped = true
            case "error":
                let error = object["error"] as? [String: Any]
                let overloaded = error?["type"] as? String == "overloaded_error"
                throw ProviderCallError(
                    type: overloaded ? .overloaded : .providerError, message: "upstream stream error: \(error?["message"] as? String ?? "unknown")",
                    retryable: true, breakerKind: .upstreamServerError
                )
            default:
                break  // ping, content_block_start/stop, unknown future events
            }
            return nil
        }

        func completion() throws(ProviderCallError) -> Completion {
            let stop = stopReason ?? "end_turn"
            guard let finishReason = AnthropicProvider.stopReasons[stop] else {
                throw ProviderCallError(type: .providerError, message: "upstream stream has an unknown stop_reason '\(stop)'", retryable: false, breakerKind: .other)
            }
            return Completion(model: model, content: content, finishReason: finishReason, usage: TokenUsage(promptTokens: inputTokens, completionTokens: outputTokens))
        }
    }
}
