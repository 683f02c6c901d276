public import AgentCore
public import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
public import Signals

/// The OpenAI chat completions API (`POST /v1/chat/completions`) over HTTP — or any
/// OpenAI-compatible server (llama.cpp, vLLM) at another base URL. Streams are read as
/// server-sent events as they arrive; the usage comes from `stream_options.include_usage`.
public final class OpenAIProvider: LLMProvider {
    public let name: String
    private let configuration: HTTPProviderConfiguration
    let upstream: HTTPUpstream

    public init(name: String = "openai", configuration: HTTPProviderConfiguration, client: HTTPClient = .shared) {
        self.name = name
        self.configuration = configuration
        self.upstream = HTTPUpstream(configuration: configuration, client: client)
    }

    public var supportedFeatures: Set<ProviderFeature> { [.chat, .streaming, .tools, .vision, .jsonMode] }

    public func models() async throws(ProviderCallError) -> [ModelInfo] { configuration.models }

    public func health() async -> ProviderHealth { .healthy }

    public func complete(_ request: ProviderRequest) async throws(ProviderCallError) -> Completion {
        let response = try await send(request, streaming: false)
        let body = try await upstream.bodyBuffer(of: response)
        return try Self.completion(from: body, requestedModel: request.model ?? "")
    }

    public func stream(_ request: ProviderRequest) -> AsyncThrowingStream<StreamEvent, any Error> {
        let open = { @Sendable () async throws(ProviderCallError) in try await self.send(request, streaming: true) }
        return upstream.stream(open: open) { response, continuation in
            var parser = ServerSentEvents()
            var accumulator = StreamAccumulator(model: request.model ?? "")
            var done = false
            for try await buffer in response.body {
                for event in parser.feed(buffer.readableBytesView) where !done {
                    if event.data == "[DONE]" {
                        done = true
                        break
                    }
                    if let delta = try accumulator.add(event.data) { continuation.yield(.delta(delta)) }
                }
            }
            guard done else {
                throw ProviderCallError(
                    type: .providerError, message: "the stream was cut mid-way: it ended before [DONE]",
                    retryable: true, breakerKind: .connection)
            }
            continuation.yield(.finished(try accumulator.completion()))
        }
    }

    // MARK: HTTP

    private func send(_ request: ProviderRequest, streaming: Bool) async throws(ProviderCallError) -> HTTPClientResponse
    {
        try ImageChecks.check(request, maxImages: configuration.maxImages, maxImageBytes: configuration.maxImageBytes)
        let headers = configuration.apiKey.map { [("authorization", "Bearer \($0)")] } ?? []
        let errorFor = { (status: Int, text: String, headers: [String: String]) in
            HTTPErrorMapping.error(status: status, message: Self.errorMessage(text), headers: headers)
        }
        if let body = Self.directBody(of: request, streaming: streaming) {
            return try await upstream.post(
                "/v1/chat/completions", headers: headers, body: body, model: request.model ?? "", errorFor: errorFor
            )
        }
        let json = Self.body(of: request, streaming: streaming)
        return try await upstream.post("/v1/chat/completions", headers: headers, json: json, errorFor: errorFor)
    }

    /// The `error.message` of an OpenAI error body, else the text itself (clipped).
    static func errorMessage(_ text: String) -> String {
        if let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
            let message = (object["error"] as? [String: Any])?["message"] as? String
        {
            return message
        }
        return text.count > 300 ? String(text.prefix(300)) + "…" : text
    }

    // MARK: Wire format

    static let finishReasons: Set<String> = ["stop", "length", "tool_calls", "content_filter", "function_call"]

    static func body(of request: ProviderRequest, streaming: Bool) -> [String: Any] {
        var body: [String: Any] = ["model": request.model ?? "", "messages": request.messages.map(message)]
        if let value = request.temperature { body["temperature"] = value }
        if let value = request.maxTokens { body["max_tokens"] = value }
        if let value = request.topP { body["top_p"] = value }
        if let value = request.stop { body["stop"] = value }
        if let tools = request.tools, !tools.isEmpty { body["tools"] = tools.compactMap(JSONBodyWriter.value(of:)) }
        if let choice = request.toolChoice { body["tool_choice"] = JSONBodyWriter.value(of: choice) }
        if streaming {
            body["stream"] = true
            body["stream_options"] = ["include_usage": true]
        }
        return body
    }

    static func message(_ message: ChatMessage) -> [String: Any] {
        var object: [String: Any] = ["role": message.role.rawValue]
        switch message.content {
        case .text(let text):
            object["content"] = text
        case .parts(let parts):
            object["content"] = parts.map { part -> [String: Any] in
                switch part {
                case .text(let text): return ["type": "text", "text": text]
                case .imageURL(let url, let detail):
                    var image: [String: Any] = ["url": url]
                    if let detail { image["detail"] = detail }
                    return ["type": "image_url", "image_url": image]
                case .image(let source):
                    let url = source.url ?? "data:\(source.mediaType ?? "image/png");base64,\(source.data ?? "")"
                    return ["type": "image_url", "image_url": ["url": url]]
                }
            }
        }
        if let name = message.name { object["name"] = name }
        if let id = message.toolCallID { object["tool_call_id"] = id }
        if let calls = message.toolCalls { object["tool_calls"] = calls.compactMap(JSONBodyWriter.value(of:)) }
        return object
    }

    static func completion(from data: Data, requestedModel: String) throws(ProviderCallError) -> Completion {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ProviderCallError(
                type: .providerError,
                message: "upstream answer is not JSON: \(String(decoding: data.prefix(200), as: UTF8.self))",
                retryable: true, breakerKind: .upstreamServerError)
        }
        guard let choice = (object["choices"] as? [[String: Any]])?.first,
            let message = choice["message"] as? [String: Any]
        else {
            throw ProviderCallError(
                type: .providerError, message: "upstream answer has no choices[0].message", retryable: true,
                breakerKind: .upstreamServerError)
        }
        let finishReason = choice["finish_reason"] as? String ?? "stop"
        guard finishReasons.contains(finishReason) else {
            throw ProviderCallError(
                type: .providerError, message: "upstream answer has an unknown finish_reason '\(finishReason)'",
                retryable: false, breakerKind: .other)
        }
        let usage = object["usage"] as? [String: Any]
        var toolCalls: [ToolCall]?
        // `isValidJSONObject` first: `data(withJSONObject:)` traps on a top-level null or string.
        if let calls = message["tool_calls"], JSONSerialization.isValidJSONObject(calls),
            let data = try? JSONSerialization.data(withJSONObject: calls)
        {
            toolCalls = try? JSONDecoder().decode([ToolCall].self, from: data)
        }
        return Completion(
            model: object["model"] as? String ?? requestedModel, content: message["content"] as? String ?? "",
            toolCalls: toolCalls, finishReason: finishReason,
            usage: TokenUsage(
                promptTokens: usage?["prompt_tokens"] as? Int ?? 0,
                completionTokens: usage?["completion_tokens"] as? Int ?? 0)
        )
    }

    /// Collects a stream's chunks into the final completion.
    struct StreamAccumulator {
        var model: String
        var content = ""
        var finishReason: String?
        var usage: TokenUsage?
        /// Tool calls by `index`: the first fragment brings id and name, later ones pieces of the arguments.
        var toolCalls: [Int: ToolCall] = [:]

        /// The content delta of one `data:` payload, if any.
        mutating func add(_ payload: String) throws(ProviderCallError) -> String? {
            if let chunk = ResponseJSONParser.parse(payload), let delta = add(fast: chunk) { return delta }
            return try add(slow: payload)
        }

        /// `add(_:)` through `JSONSerialization`: every chunk, errors classified.
        mutating func add(slow payload: String) throws(ProviderCallError) -> String? {
            guard let object = (try? JSONSerialization.jsonObject(with: Data(payload.utf8))) as? [String: Any] else {
                throw ProviderCallError(
                    type: .providerError, message: "upstream stream chunk is not JSON: \(payload.prefix(200))",
                    retryable: true, breakerKind: .upstreamServerError)
            }
            if let error = object["error"] as? [String: Any] {
                throw ProviderCallError(
                    type: .providerError, message: "upstream stream error: \(error["message"] as? String ?? "unknown")",
                    retryable: true, breakerKind: .upstreamServerError)
            }
            if let value = object["model"] as? String { model = value }
            if let value = object["usage"] as? [String: Any] {
                usage = TokenUsage(
                    promptTokens: value["prompt_tokens"] as? Int ?? 0,
                    completionTokens: value["completion_tokens"] as? Int ?? 0)
            }
            guard let choice = (object["choices"] as? [[String: Any]])?.first else { return nil }
            if let reason = choice["finish_reason"] as? String { finishReason = reason }
            let delta = choice["delta"] as? [String: Any]
            for fragment in delta?["tool_calls"] as? [[String: Any]] ?? [] { try addToolCall(fragment) }
            guard let text = delta?["content"] as? String, !text.isEmpty else { return nil }
            content += text
            return text
        }

        private mutating func addToolCall(_ fragment: [String: Any]) throws(ProviderCallError) {
            guard let index = fragment["index"] as? Int else {
                throw ProviderCallError(
                    type: .providerError, message: "upstream stream has a tool call fragment without an index",
                    retryable: true, breakerKind: .upstreamServerError)
            }
            let function = fragment["function"] as? [String: Any]
            var call = toolCalls[index] ?? ToolCall(id: "", function: .init(name: "", arguments: ""))
            if let id = fragment["id"] as? String, !id.isEmpty { call.id = id }
            if let type = fragment["type"] as? String, !type.isEmpty { call.type = type }
            if let name = function?["name"] as? String, !name.isEmpty { call.function.name = name }
            if let arguments = function?["arguments"] as? String { call.function.arguments += arguments }
            toolCalls[index] = call
        }

        func completion() throws(ProviderCallError) -> Completion {
            let reason = finishReason ?? "stop"
            guard OpenAIProvider.finishReasons.contains(reason) else {
                throw ProviderCallError(
                    type: .providerError, message: "upstream stream has an unknown finish_reason '\(reason)'",
                    retryable: false, breakerKind: .other)
            }
            let calls = toolCalls.sorted { $0.key < $1.key }.map(\.value)
            if let incomplete = calls.first(where: { $0.id.isEmpty || $0.function.name.isEmpty }) {
                throw ProviderCallError(
                    type: .providerError,
                    message:
                        """
                        upstream stream has a tool call without \
                        \(incomplete.id.isEmpty ? "an id" : "a function name")
                        """,
                    retryable: true, breakerKind: .upstreamServerError
                )
            }
            return Completion(
                model: model, content: content, toolCalls: calls.isEmpty ? nil : calls, finishReason: reason,
                usage: usage ?? TokenUsage(promptTokens: 0, completionTokens: 0)
            )
        }
    }
}
