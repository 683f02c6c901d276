public import AgentCore
public import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
public import Signals

/// A local Ollama server (`POST /api/chat`, NDJSON streaming; `GET /api/tags` for the models it
/// has). Works with no internet; no API key.
public final class OllamaProvider: LLMProvider {
    public let name: String
    private let configuration: HTTPProviderConfiguration
    private let client: HTTPClient
    private let upstream: HTTPUpstream

    public init(name: String = "local", configuration: HTTPProviderConfiguration, client: HTTPClient = .shared) {
        self.name = name
        self.configuration = configuration
        self.client = client
        self.upstream = HTTPUpstream(configuration: configuration, client: client)
    }

    public var supportedFeatures: Set<ProviderFeature> { [.chat, .streaming, .tools, .vision] }

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
            return ModelInfo(id: id, contextWindow: known?.contextWindow ?? 8_192, features: known?.features ?? [.chat, .streaming])
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
        let body = try await upstream.body(of: response)
        guard let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] else {
            throw ProviderCallError(type: .providerError, message: "upstream answer is not JSON: \(String(decoding: body.prefix(200), as: UTF8.self))", retryable: true, breakerKind: .upstreamServerError)
        }
        var accumulator = StreamAccumulator(model: request.model ?? "")
        _ = try accumulator.add(object)
        return try accumulator.completion()
    }

    public func stream(_ request: ProviderRequest) -> AsyncThrowingStream<StreamEvent, any Error> {
        HTTPUpstream.stream(timeout: configuration.requestTimeout, open: { () throws(ProviderCallError) in try await self.send(request, streaming: true) }) { response, continuation in
            var accumulator = StreamAccumulator(model: request.model ?? "")
            var pending: [UInt8] = []
            for try await buffer in response.body {
                pending.append(contentsOf: buffer.readableBytesView)
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = Array(pending[..<newline])
                    pending.removeFirst(newline + 1)
                    guard !line.isEmpty, !accumulator.done else { continue }
                    guard let object = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any] else {
                        throw ProviderCallError(type: .providerError, message: "upstream stream line is not JSON: \(String(decoding: line.prefix(200), as: UTF8.self))", retryable: true, breakerKind: .upstreamServerError)
                    }
                    if let delta = try accumulator.add(object) { continuation.yield(.delta(delta)) }
                }
            }
            guard accumulator.done else {
                throw ProviderCallError(type: .providerError, message: "the stream was cut mid-way: it ended before done", retryable: true, breakerKind: .connection)
            }
            continuation.yield(.finished(try accumulator.completion()))
        }
    }

    private func send(_ request: ProviderRequest, streaming: Bool) async throws(ProviderCallError) -> HTTPClientResponse {
        try await upstream.post("/api/chat", headers: [], json: Self.body(of: request, streaming: streaming)) { status, text, headers in
            let message = ((try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any])?["error"] as? String ?? String(text.prefix(300))
            return HTTPErrorMapping.error(status: status, message: message, headers: headers)
        }
    }

    static func body(of request: ProviderRequest, streaming: Bool) -> [String: Any] {
        var options: [String: Any] = [:]
        if let value = request.temperature { options["temperature"] = value }
        if let value = request.topP { options["top_p"] = value }
        if let value = request.maxTokens { options["num_predict"] = value }
        if let value = request.stop { options["stop"] = value }
        var body: [String: Any] = [
            "model": request.model ?? "", "stream": streaming,
            "messages": request.messages.map { message -> [String: Any] in
                var object: [String: Any] = ["role": message.role.rawValue, "content": message.content.plainText]
                if case .parts(let parts) = message.content {
                    let images = parts.compactMap { part -> String? in if case .image(let source) = part { source.data } else { nil } }
                    if !images.isEmpty { object["images"] = images }
                }
                return object
            },
        ]
        if !options.isEmpty { body["options"] = options }
        return body
    }

    /// Collects NDJSON objects (or the single non-streamed one) into the completion.
    struct StreamAccumulator {
        var model: String
        var content = ""
        var done = false
        var doneReason = "stop"
        var promptTokens = 0
        var completionTokens = 0

        mutating func add(_ object: [String: Any]) throws(ProviderCallError) -> String? {
            if let error = object["error"] as? String {
                throw ProviderCallError(type: .providerError, message: "upstream error: \(error)", retryable: true, breakerKind: .upstreamServerError)
            }
            if let value = object["model"] as? String { model = value }
            if object["done"] as? Bool == true {
                done = true
                doneReason = object["done_reason"] as? String ?? "stop"
                promptTokens = object["prompt_eval_count"] as? Int ?? 0
                completionTokens = object["eval_count"] as? Int ?? 0
            }
            guard let text = (object["message"] as? [String: Any])?["content"] as? String, !text.isEmpty else { return nil }
            content += text
            return text
        }

        func completion() throws(ProviderCallError) -> Completion {
            guard done else {
                throw ProviderCallError(type: .providerError, message: "upstream answer is not done", retryable: true, breakerKind: .upstreamServerError)
            }
            let reasons = ["stop": "stop", "length": "length", "load": "stop", "unload": "stop"]
            guard let finishReason = reasons[doneReason] else {
                throw ProviderCallError(type: .providerError, message: "upstream answer has an unknown done_reason '\(doneReason)'", retryable: false, breakerKind: .other)
            }
            return Completion(model: model, content: content, finishReason: finishReason, usage: TokenUsage(promptTokens: promptTokens, completionTokens: completionTokens))
        }
    }
}
