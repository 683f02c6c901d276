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

    public init(
        name: String = "anthropic", configuration: HTTPProviderConfiguration, version: String = "2023-06-01",
        client: HTTPClient = .shared
    ) {
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
        let body = try await upstream.bodyBuffer(of: response)
        return try Self.completion(from: body, requestedModel: request.model ?? "")
    }

    public func stream(_ request: ProviderRequest) -> AsyncThrowingStream<StreamEvent, any Error> {
        let open = { @Sendable () async throws(ProviderCallError) in try await self.send(request, streaming: true) }
        return upstream.stream(open: open) { response, continuation in
            var parser = ServerSentEvents()
            var accumulator = StreamAccumulator(model: request.model ?? "")
            for try await buffer in response.body {
                for event in parser.feed(buffer.readableBytesView) where !accumulator.stopped {
                    if let delta = try accumulator.add(event) { continuation.yield(.delta(delta)) }
                }
            }
            guard accumulator.stopped else {
                throw ProviderCallError(
                    type: .providerError, message: "the stream was cut mid-way: it ended before message_stop",
                    retryable: true, breakerKind: .connection)
            }
            continuation.yield(.finished(try accumulator.completion()))
        }
    }

    // MARK: HTTP

    private func send(_ request: ProviderRequest, streaming: Bool) async throws(ProviderCallError) -> HTTPClientResponse
    {
        let model = request.model ?? ""
        let window = configuration.models.first { $0.id == model }?.contextWindow ?? 200_000
        let estimate = AdmissionController.estimatedTokens(request, defaultMaxTokens: Self.defaultMaxTokens)
        guard estimate <= window else {
            throw ProviderCallError(
                type: .contextLengthExceeded,
                message:
                    """
                    about \(estimate) tokens (prompt estimate + max_tokens) exceed the \(window)-token context \
                    window of '\(model)'
                    """,
                retryable: false
            )
        }
        try ImageChecks.check(request, maxImages: configuration.maxImages, maxImageBytes: configuration.maxImageBytes)
        var headers = [("anthropic-version", version)]
        if let key = configuration.apiKey { headers.append(("x-api-key", key)) }
        let errorFor = { (status: Int, text: String, headers: [String: String]) in
            Self.error(status: status, body: text, headers: headers)
        }
        if let body = Self.directBody(of: request, streaming: streaming) {
            return try await upstream.post(
                "/v1/messages", headers: headers, body: body, model: model, errorFor: errorFor
            )
        }
        let body = try Self.body(of: request, streaming: streaming)
        return try await upstream.post("/v1/messages", headers: headers, json: body, errorFor: errorFor)
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
            return ProviderCallError(
                type: .rateLimited, message: "upstream spend limit reached (429): \(message)", retryable: false,
                breakerKind: .other)
        }
        return HTTPErrorMapping.error(status: status, message: message, headers: headers)
    }

    // MARK: Wire format

    static let stopReasons: [String: String] = [
        "end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length", "tool_use": "tool_calls",
        "pause_turn": "stop", "refusal": "content_filter",
    ]

    /// The request in Anthropic's shape; a tool choice, tool call or tool result it cannot carry
    /// is an `invalid_request` naming it.
    static func body(of request: ProviderRequest, streaming: Bool) throws(ProviderCallError) -> [String: Any] {
        let system = request.messages.filter { $0.role == .system }.map(\.content.plainText).joined(separator: "\n")
        var messages: [[String: Any]] = []
        for (index, message) in request.messages.enumerated() where message.role != .system {
            let converted = try Self.message(message, at: index)
            // Tool results of one turn go back together, in one user message.
            if message.role == .tool, var last = messages.last, last["role"] as? String == "user",
                var blocks = last["content"] as? [[String: Any]],
                blocks.allSatisfy({ $0["type"] as? String == "tool_result" }),
                let more = converted["content"] as? [[String: Any]]
            {
                blocks += more
                last["content"] = blocks
                messages[messages.count - 1] = last
            } else {
                messages.append(converted)
            }
        }
        var body: [String: Any] = [
            "model": request.model ?? "",
            "max_tokens": request.maxTokens ?? defaultMaxTokens,
            "messages": messages,
        ]
        if !system.isEmpty { body["system"] = system }
        if let value = request.temperature { body["temperature"] = min(value, 1) }
        if let value = request.topP { body["top_p"] = value }
        if let value = request.stop { body["stop_sequences"] = value }
        if let tools = request.tools, !tools.isEmpty {
            body["tools"] = tools.map { tool -> [String: Any] in
                var object: [String: Any] = [
                    "name": tool.function.name,
                    "input_schema": tool.function.parameters.flatMap(JSONBodyWriter.value(of:)) ?? ["type": "object"],
                ]
                if let description = tool.function.description { object["description"] = description }
                return object
            }
        }
        if let choice = request.toolChoice {
            let mapped = try toolChoice(choice)
            // Anthropic refuses a tool_choice without tools; with none offered it means nothing.
            if body["tools"] != nil { body["tool_choice"] = mapped }
        }
        if streaming { body["stream"] = true }
        return body
    }

    /// OpenAI-style `tool_choice` as Anthropic's: `auto` → `{"type":"auto"}`, `required` →
    /// `{"type":"any"}`, `none` → `{"type":"none"}`, `{"type":"function","function":{"name":N}}` →
    /// `{"type":"tool","name":N}`.
    static func toolChoice(_ choice: JSONValue) throws(ProviderCallError) -> [String: Any] {
        switch choice {
        case .string("auto"): return ["type": "auto"]
        case .string("required"), .string("any"): return ["type": "any"]
        case .string("none"): return ["type": "none"]
        case .object(let object):
            if case .object(let function)? = object["function"], case .string(let name)? = function["name"],
                !name.isEmpty
            {
                return ["type": "tool", "name": name]
            }
            if case .string(let type)? = object["type"], ["auto", "any", "none"].contains(type) {
                return ["type": type]
            }
            if case .string("tool")? = object["type"], case .string(let name)? = object["name"], !name.isEmpty {
                return ["type": "tool", "name": name]
            }
        default:
            break
        }
        throw .invalidRequest(
            """
            tool_choice: expected \"auto\", \"required\", \"none\" or {\"type\": \"function\", \"function\": \
            {\"name\": ...}}
            """
        )
    }

    static func message(_ message: ChatMessage, at index: Int) throws(ProviderCallError) -> [String: Any] {
        switch message.role {
        case .tool:
            guard let id = message.toolCallID, !id.isEmpty else {
                throw .invalidRequest(
                    "messages[\(index)]: a tool message needs tool_call_id (the id of the call it answers)")
            }
            return [
                "role": "user",
                "content": [
                    ["type": "tool_result", "tool_use_id": id, "content": message.content.plainText] as [String: Any]
                ],
            ]
        case .assistant where !(message.toolCalls ?? []).isEmpty:
            var blocks: [[String: Any]] = []
            let text = message.content.plainText
            if !text.isEmpty { blocks.append(["type": "text", "text": text]) }
            for (callIndex, call) in (message.toolCalls ?? []).enumerated() {
                let arguments = call.function.arguments.isEmpty ? "{}" : call.function.arguments
                guard let input = try? JSONSerialization.jsonObject(with: Data(arguments.utf8)), input is [String: Any]
                else {
                    throw .invalidRequest(
                        "messages[\(index)].tool_calls[\(callIndex)]: arguments are not a JSON object")
                }
                blocks.append(["type": "tool_use", "id": call.id, "name": call.function.name, "input": input])
            }
            return ["role": "assistant", "content": blocks]
        default:
            return Self.message(message)
        }
    }

    static func message(_ message: ChatMessage) -> [String: Any] {
        let role = message.role == .assistant ? "assistant" : "user"
        switch message.content {
        case .text(let text):
            return ["role": role, "content": text]
        case .parts(let parts):
            return [
                "role": role,
                "content": parts.map { part -> [String: Any] in
                    switch part {
                    case .text(let text): return ["type": "text", "text": text]
                    case .imageURL(let url, _):
                        // A data URL carries the image itself: Anthropic takes it as a base64 block.
                        if url.hasPrefix("data:"), let comma = url.firstIndex(of: ","),
                            url[..<comma].hasSuffix(";base64")
                        {
                            let mediaType = String(
                                url[url.index(url.startIndex, offsetBy: 5)..<comma].dropLast(";base64".count))
                            return [
                                "type": "image",
                                "source": [
                                    "type": "base64", "media_type": mediaType,
                                    "data": String(url[url.index(after: comma)...]),
                                ],
                            ]
                        }
                        return ["type": "image", "source": ["type": "url", "url": url]]
                    case .image(let source):
                        if let url = source.url { return ["type": "image", "source": ["type": "url", "url": url]] }
                        return [
                            "type": "image",
                            "source": [
                                "type": "base64", "media_type": source.mediaType ?? "image/png",
                                "data": source.data ?? "",
                            ],
                        ]
                    }
                },
            ]
        }
    }

    /// A `tool_use` block as a tool call (the input as a JSON text).
    static func toolCall(_ block: [String: Any]) -> ToolCall? {
        guard let id = block["id"] as? String, let name = block["name"] as? String else { return nil }
        let input = block["input"] ?? [String: Any]()
        let arguments =
            (try? JSONSerialization.data(withJSONObject: input, options: [.sortedKeys, .fragmentsAllowed])).map {
                String(decoding: $0, as: UTF8.self)
            } ?? "{}"
        return ToolCall(id: id, function: .init(name: name, arguments: arguments))
    }

    static func completion(from data: Data, requestedModel: String) throws(ProviderCallError) -> Completion {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ProviderCallError(
                type: .providerError,
                message: "upstream answer is not JSON: \(String(decoding: data.prefix(200), as: UTF8.self))",
                retryable: true, breakerKind: .upstreamServerError)
        }
        guard let blocks = object["content"] as? [[String: Any]] else {
            throw ProviderCallError(
                type: .providerError, message: "upstream answer has no content blocks", retryable: true,
                breakerKind: .upstreamServerError)
        }
        let stop = object["stop_reason"] as? String ?? "end_turn"
        guard let finishReason = stopReasons[stop] else {
            throw ProviderCallError(
                type: .providerError, message: "upstream answer has an unknown stop_reason '\(stop)'", retryable: false,
                breakerKind: .other)
        }
        let usage = object["usage"] as? [String: Any]
        let toolBlocks = blocks.filter { $0["type"] as? String == "tool_use" }
        let toolCalls = toolBlocks.compactMap(toolCall)
        guard toolCalls.count == toolBlocks.count else {
            throw ProviderCallError(
                type: .providerError, message: "upstream answer has a tool_use block without id or name",
                retryable: true, breakerKind: .upstreamServerError)
        }
        return Completion(
            model: object["model"] as? String ?? requestedModel,
            content: blocks.compactMap { $0["type"] as? String == "text" ? $0["text"] as? String : nil }.joined(),
            toolCalls: toolCalls.isEmpty ? nil : toolCalls,
            finishReason: finishReason,
            usage: TokenUsage(
                promptTokens: usage?["input_tokens"] as? Int ?? 0,
                completionTokens: usage?["output_tokens"] as? Int ?? 0)
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
        /// `tool_use` blocks by index: id, name, and the `partial_json` fragments so far.
        var toolBlocks: [Int: (id: String, name: String, json: String)] = [:]

        /// The text delta of one event, if any.
        mutating func add(_ event: ServerSentEvents.Event) throws(ProviderCallError) -> String? {
            if let object = ResponseJSONParser.parse(event.data), let delta = add(fast: object, event: event.event) {
                return delta
            }
            return try add(slow: event)
        }

        /// `add(_:)` through `JSONSerialization`: every event, errors classified.
        mutating func add(slow event: ServerSentEvents.Event) throws(ProviderCallError) -> String? {
            guard let object = (try? JSONSerialization.jsonObject(with: Data(event.data.utf8))) as? [String: Any] else {
                throw ProviderCallError(
                    type: .providerError, message: "upstream stream event is not JSON: \(event.data.prefix(200))",
                    retryable: true, breakerKind: .upstreamServerError)
            }
            switch object["type"] as? String ?? event.event {
            case "message_start":
                let message = object["message"] as? [String: Any]
                if let value = message?["model"] as? String { model = value }
                let usage = message?["usage"] as? [String: Any]
                inputTokens = usage?["input_tokens"] as? Int ?? 0
                outputTokens = usage?["output_tokens"] as? Int ?? 0
            case "content_block_start":
                let block = object["content_block"] as? [String: Any]
                if block?["type"] as? String == "tool_use" {
                    guard let index = object["index"] as? Int, let id = block?["id"] as? String,
                        let name = block?["name"] as? String
                    else {
                        throw ProviderCallError(
                            type: .providerError,
                            message: "upstream stream has a tool_use block without index, id or name", retryable: true,
                            breakerKind: .upstreamServerError)
                    }
                    toolBlocks[index] = (id, name, "")
                }
            case "content_block_delta":
                let delta = object["delta"] as? [String: Any]
                if delta?["type"] as? String == "input_json_delta" {
                    guard let index = object["index"] as? Int, toolBlocks[index] != nil else {
                        throw ProviderCallError(
                            type: .providerError,
                            message: "upstream stream has input_json_delta for a block that is not a tool_use",
                            retryable: true, breakerKind: .upstreamServerError)
                    }
                    toolBlocks[index]?.json += delta?["partial_json"] as? String ?? ""
                    return nil
                }
                guard delta?["type"] as? String == "text_delta", let text = delta?["text"] as? String, !text.isEmpty
                else { return nil }
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
                    type: overloaded ? .overloaded : .providerError,
                    message: "upstream stream error: \(error?["message"] as? String ?? "unknown")",
                    retryable: true, breakerKind: .upstreamServerError
                )
            default:
                break  // ping, content_block_stop, unknown future events
            }
            return nil
        }

        func completion() throws(ProviderCallError) -> Completion {
            let stop = stopReason ?? "end_turn"
            guard let finishReason = AnthropicProvider.stopReasons[stop] else {
                throw ProviderCallError(
                    type: .providerError, message: "upstream stream has an unknown stop_reason '\(stop)'",
                    retryable: false, breakerKind: .other)
            }
            var calls: [ToolCall] = []
            for (index, block) in toolBlocks.sorted(by: { $0.key < $1.key }) {
                let json = block.json.isEmpty ? "{}" : block.json
                guard (try? JSONSerialization.jsonObject(with: Data(json.utf8))) is [String: Any] else {
                    throw ProviderCallError(
                        type: .providerError,
                        message:
                            "upstream stream's tool_use block \(index) input is not a JSON object: \(json.prefix(200))",
                        retryable: true, breakerKind: .upstreamServerError)
                }
                calls.append(ToolCall(id: block.id, function: .init(name: block.name, arguments: json)))
            }
            return Completion(
                model: model, content: content, toolCalls: calls.isEmpty ? nil : calls, finishReason: finishReason,
                usage: TokenUsage(promptTokens: inputTokens, completionTokens: outputTokens)
            )
        }
    }
}
