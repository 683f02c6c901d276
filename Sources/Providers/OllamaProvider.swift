public import AgentCore
public import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
public import Signals
import Synchronization

/// A local Ollama server (`POST /api/chat`, NDJSON streaming; `GET /api/tags` for the models it
/// has). Works with no internet; no API key.
public final class OllamaProvider: LLMProvider {
    public let name: String
    let configuration: HTTPProviderConfiguration
    let client: HTTPClient
    let upstream: HTTPUpstream
    /// Context lengths `/api/show` reported, by model (asked once per model).
    let contextLengths = Mutex<[String: Int]>([:])

    public init(name: String = "local", configuration: HTTPProviderConfiguration, client: HTTPClient = .shared) {
        self.name = name
        self.configuration = configuration
        self.client = client
        self.upstream = HTTPUpstream(configuration: configuration, client: client)
    }

    public var supportedFeatures: Set<ProviderFeature> { [.chat, .streaming, .tools, .vision] }

    /// `max_tokens` assumed by the context-window check when a request names none: the prompt
    /// alone must fit (Ollama's `num_predict` is unbounded by default).
    static let defaultMaxTokens = 0

    /// The models the server has (`/api/tags`), else the configured ones.
    public func models() async throws(ProviderCallError) -> [ModelInfo] {
        var http = HTTPClientRequest(url: configuration.baseURL + "/api/tags")
        http.method = .GET
        guard let response = try? await client.execute(http, timeout: .seconds(5)), response.status == .ok,
            let body = try? await response.body.collect(upTo: 4 << 20),
            let object = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any],
            let entries = object["models"] as? [[String: Any]]
        else { return configuration.models }
        return entries.compactMap { entry in
            guard let id = entry["model"] as? String ?? entry["name"] as? String else { return nil }
            let known = configuration.models.first { $0.id == id }
            return ModelInfo(
                id: id, contextWindow: known?.contextWindow ?? 8_192, features: known?.features ?? [.chat, .streaming])
        }
    }

    public func health() async -> ProviderHealth {
        var http = HTTPClientRequest(url: configuration.baseURL + "/api/tags")
        http.method = .GET
        guard let response = try? await client.execute(http, timeout: .seconds(2)) else { return .unavailable }
        return response.status == .ok ? .healthy : .degraded
    }

    public func complete(_ request: ProviderRequest) async throws(ProviderCallError) -> Completion {
        let response = try await send(request, streaming: false)
        let body = try await upstream.bodyBuffer(of: response)
        return try Self.completion(from: body, requestedModel: request.model ?? "")
    }

    public func stream(_ request: ProviderRequest) -> AsyncThrowingStream<StreamEvent, any Error> {
        let open = { @Sendable () async throws(ProviderCallError) in try await self.send(request, streaming: true) }
        return upstream.stream(open: open) { response, continuation in
            var accumulator = StreamAccumulator(model: request.model ?? "")
            var pending: [UInt8] = []
            for try await buffer in response.body {
                pending.append(contentsOf: buffer.readableBytesView)
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = Array(pending[..<newline])
                    pending.removeFirst(newline + 1)
                    guard !line.isEmpty, !accumulator.done else { continue }
                    if let object = ResponseJSONParser.parse(line), let delta = accumulator.add(fast: object) {
                        if let delta { continuation.yield(.delta(delta)) }
                        continue
                    }
                    guard let object = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any] else {
                        throw ProviderCallError(
                            type: .providerError,
                            message:
                                """
                                upstream stream line is not JSON: \
                                \(String(decoding: line.prefix(200), as: UTF8.self))
                                """,
                            retryable: true, breakerKind: .upstreamServerError)
                    }
                    if let delta = try accumulator.add(object) { continuation.yield(.delta(delta)) }
                }
            }
            guard accumulator.done else {
                throw ProviderCallError(
                    type: .providerError, message: "the stream was cut mid-way: it ended before done", retryable: true,
                    breakerKind: .connection)
            }
            continuation.yield(.finished(try accumulator.completion()))
        }
    }

    private func send(_ request: ProviderRequest, streaming: Bool) async throws(ProviderCallError) -> HTTPClientResponse
    {
        let direct = Self.directBody(of: request, streaming: streaming)
        let body = direct == nil ? try Self.body(of: request, streaming: streaming) : [:]
        let model = request.model ?? ""
        // The window the server reports (`/api/show`), else the configured one.
        let reported = try? await contextLength(model: model)
        if let window = reported ?? configuration.models.first(where: { $0.id == model })?.contextWindow {
            let estimate = AdmissionController.estimatedTokens(request, defaultMaxTokens: Self.defaultMaxTokens)
            guard estimate <= window else {
                throw ProviderCallError(
                    type: .contextLengthExceeded,
                    message:
                        """
                        about \(estimate) tokens (prompt estimate + max_tokens) exceed the \(window)-token context \
                        length of '\(model)'
                        """,
                    retryable: false
                )
            }
        }
        if let direct { return try await post("/api/chat", body: direct, model: model) }
        return try await post("/api/chat", body)
    }

    /// POSTs `json` to `path`; a non-2xx answer becomes the classified error (Ollama's `error` text).
    func post(_ path: String, _ json: [String: Any]) async throws(ProviderCallError) -> HTTPClientResponse {
        try await upstream.post(path, headers: [], json: json, errorFor: Self.error)
    }

    /// POSTs the JSON `body` (written for `model`) to `path`, as ``post(_:_:)``.
    func post(_ path: String, body: [UInt8], model: String) async throws(ProviderCallError) -> HTTPClientResponse {
        try await upstream.post(path, headers: [], body: body, model: model, errorFor: Self.error)
    }

    /// A non-2xx answer as the classified error, with Ollama's `error` text.
    static func error(status: Int, text: String, headers: [String: String]) -> ProviderCallError {
        let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
        let message = object?["error"] as? String ?? String(text.prefix(300))
        return HTTPErrorMapping.error(status: status, message: message, headers: headers)
    }

    static func body(of request: ProviderRequest, streaming: Bool) throws(ProviderCallError) -> [String: Any] {
        var options: [String: Any] = [:]
        if let value = request.temperature { options["temperature"] = value }
        if let value = request.topP { options["top_p"] = value }
        if let value = request.maxTokens { options["num_predict"] = value }
        if let value = request.stop { options["stop"] = value }
        var body: [String: Any] = [
            "model": request.model ?? "", "stream": streaming,
            "messages": try request.messages.enumerated().map {
                (index, message) throws(ProviderCallError) -> [String: Any] in
                try Self.message(message, index: index)
            },
        ]
        if !options.isEmpty { body["options"] = options }
        // Ollama has no tool_choice: "none" is honoured by offering no tools; otherwise the model decides.
        if let tools = request.tools, !tools.isEmpty, request.toolChoice != .string("none") {
            body["tools"] = tools.compactMap(JSONBodyWriter.value(of:))
        }
        return body
    }

    /// Media types Ollama's vision models take.
    static let imageMediaTypes: Set<String> = ["image/png", "image/jpeg", "image/jpg", "image/gif", "image/webp"]

    /// One message in Ollama's shape: text `content`, inline images as base64 `images`, an
    /// assistant's `tool_calls` with arguments as objects. An image Ollama cannot take (a remote
    /// URL, another media type, data that is not base64) is an `invalid_request` naming it.
    static func message(_ message: ChatMessage, index: Int) throws(ProviderCallError) -> [String: Any] {
        var object: [String: Any] = ["role": message.role.rawValue, "content": message.content.plainText]
        if case .parts(let parts) = message.content {
            var images: [String] = []
            for (partIndex, part) in parts.enumerated() {
                let path = "messages[\(index)].content[\(partIndex)]"
                let mediaType: String
                let data: String
                switch part {
                case .text:
                    continue
                case .image(let source):
                    guard let inline = source.data else {
                        throw .invalidRequest("\(path): Ollama takes inline (base64) images only, not a URL")
                    }
                    mediaType = source.mediaType ?? ""
                    data = inline
                case .imageURL(let url, _):
                    guard url.hasPrefix("data:"), let comma = url.firstIndex(of: ","),
                        url[..<comma].hasSuffix(";base64")
                    else {
                        throw .invalidRequest(
                            "\(path): Ollama takes inline (base64 data URL) images only, not '\(url.prefix(60))'")
                    }
                    mediaType = String(url[url.index(url.startIndex, offsetBy: 5)..<comma].dropLast(7))
                    data = String(url[url.index(after: comma)...])
                }
                guard imageMediaTypes.contains(mediaType.lowercased()) else {
                    throw .invalidRequest(
                        """
                        \(path): image media type '\(mediaType)' is not supported (use \
                        \(imageMediaTypes.sorted().joined(separator: ", ")))
                        """
                    )
                }
                guard !data.isEmpty, Data(base64Encoded: data) != nil else {
                    throw .invalidRequest("\(path): image data is not valid base64")
                }
                images.append(data)
            }
            if !images.isEmpty { object["images"] = images }
        }
        if let calls = message.toolCalls, !calls.isEmpty {
            object["tool_calls"] = calls.map { call -> [String: Any] in
                let arguments =
                    (try? JSONSerialization.jsonObject(with: Data(call.function.arguments.utf8))) ?? [String: Any]()
                return ["function": ["name": call.function.name, "arguments": arguments] as [String: Any]]
            }
        }
        if message.role == .tool, let name = message.name { object["tool_name"] = name }
        return object
    }

    /// Collects NDJSON objects (or the single non-streamed one) into the completion.
    struct StreamAccumulator {
        var model: String
        var content = ""
        var done = false
        var doneReason = "stop"
        var promptTokens = 0
        var completionTokens = 0
        var toolCalls: [ToolCall] = []
        /// `eval_duration` (nanoseconds), when reported.
        var evalNanoseconds: Int?

        mutating func add(_ object: [String: Any]) throws(ProviderCallError) -> String? {
            if let error = object["error"] as? String {
                throw ProviderCallError(
                    type: .providerError, message: "upstream error: \(error)", retryable: true,
                    breakerKind: .upstreamServerError)
            }
            if let value = object["model"] as? String { model = value }
            if object["done"] as? Bool == true {
                done = true
                doneReason = object["done_reason"] as? String ?? "stop"
                promptTokens = object["prompt_eval_count"] as? Int ?? 0
                completionTokens = object["eval_count"] as? Int ?? 0
                evalNanoseconds = object["eval_duration"] as? Int
            }
            for call in (object["message"] as? [String: Any])?["tool_calls"] as? [[String: Any]] ?? [] {
                guard let function = call["function"] as? [String: Any], let name = function["name"] as? String else {
                    throw ProviderCallError(
                        type: .providerError, message: "upstream tool call has no function name", retryable: false,
                        breakerKind: .other)
                }
                let id = call["id"] as? String ?? "call_\(toolCalls.count)"
                let arguments = Self.arguments(function["arguments"])
                toolCalls.append(ToolCall(id: id, function: .init(name: name, arguments: arguments)))
            }
            guard let text = (object["message"] as? [String: Any])?["content"] as? String, !text.isEmpty else {
                return nil
            }
            content += text
            return text
        }

        /// Ollama gives arguments as an object; the signal carries them as a JSON text (sorted
        /// keys). A server that sends a JSON text already keeps it; anything else is `{}`.
        /// (`isValidJSONObject` first: `data(withJSONObject:)` traps on a top-level null or string.)
        static func arguments(_ value: Any?) -> String {
            if let value, JSONSerialization.isValidJSONObject(value),
                let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])
            {
                return String(decoding: data, as: UTF8.self)
            }
            return value as? String ?? "{}"
        }

        func completion() throws(ProviderCallError) -> Completion {
            guard done else {
                throw ProviderCallError(
                    type: .providerError, message: "upstream answer is not done", retryable: true,
                    breakerKind: .upstreamServerError)
            }
            let reasons = ["stop": "stop", "length": "length", "load": "stop", "unload": "stop"]
            guard let finishReason = reasons[doneReason] else {
                throw ProviderCallError(
                    type: .providerError, message: "upstream answer has an unknown done_reason '\(doneReason)'",
                    retryable: false, breakerKind: .other)
            }
            var completion = Completion(
                model: model, content: content, toolCalls: toolCalls.isEmpty ? nil : toolCalls,
                finishReason: toolCalls.isEmpty ? finishReason : "tool_calls",
                usage: TokenUsage(promptTokens: promptTokens, completionTokens: completionTokens)
            )
            if let evalNanoseconds, evalNanoseconds > 0 { completion.generationTime = .nanoseconds(evalNanoseconds) }
            return completion
        }
    }
}
