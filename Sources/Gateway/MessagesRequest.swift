import Foundation
import Signals

/// An Anthropic `POST /v1/messages` body, checked and turned into a `provider_request`, so that
/// a client speaking Anthropic's shape reaches whichever provider serves the model it names.
///
/// `system` becomes the first message; content blocks map to the signal's messages: `text` and
/// `image` parts, an assistant's `tool_use` blocks to its tool calls (the input as JSON
/// arguments), a user's `tool_result` blocks to `tool` messages. `max_tokens` is required, as
/// Anthropic requires it. Unknown members are a 400 naming them.
public enum MessagesRequest {
    /// Members the gateway reads.
    static let used: Set<String> = [
        "model", "messages", "max_tokens", "system", "temperature", "top_p", "stop_sequences", "stream", "tools",
        "tool_choice", "metadata",
    ]
    /// Members Anthropic accepts that the gateway accepts and leaves out.
    static let ignored: Set<String> = ["top_k", "thinking", "service_tier", "container", "mcp_servers"]

    /// Parses `body`; `requestID` becomes the signal's `request_id`.
    public static func parse(_ body: [UInt8], requestID: String) throws(GatewayError) -> GatewayRequest {
        let members = try JSONField.object(body)
        for name in members.keys.sorted() where !used.contains(name) && !ignored.contains(name) {
            throw .invalid("\(name): Extra inputs are not permitted", param: name)
        }
        let model = try JSONField.string(members["model"], "model", required: true) ?? ""
        guard !model.isEmpty else { throw .invalid("model: Field required", param: "model") }
        guard let maxTokens = try JSONField.integer(members["max_tokens"], "max_tokens") else {
            throw .invalid("max_tokens: Field required", param: "max_tokens")
        }
        var messages = try system(members["system"])
        guard case .array(let turns)? = members["messages"], !turns.isEmpty else {
            throw .invalid("messages: must be a non-empty array", param: "messages")
        }
        for (index, turn) in turns.enumerated() { messages += try self.messages(turn, at: "messages[\(index)]") }
        let temperature = try JSONField.number(members["temperature"], "temperature", in: 0...1)
        let topP = try JSONField.number(members["top_p"], "top_p", in: 0...1)
        var stop: [String]?
        if let value = members["stop_sequences"], value != .null {
            guard case .array(let values) = value else {
                throw .invalid("stop_sequences: must be an array of strings", param: "stop_sequences")
            }
            stop = try values.enumerated().map { index, value throws(GatewayError) in
                guard case .string(let text) = value else {
                    throw .invalid("stop_sequences.\(index): must be a string", param: "stop_sequences.\(index)")
                }
                return text
            }
        }
        let stream = try JSONField.bool(members["stream"], "stream") ?? false
        let tools = try tools(members["tools"])
        let toolChoice = try toolChoice(members["tool_choice"])
        return GatewayRequest.make(
            model: model, requestID: requestID, messages: messages,
            sampling: .init(temperature: temperature, topP: topP, maxTokens: maxTokens, stop: stop), tools: tools,
            toolChoice: toolChoice, stream: stream, includeUsage: true,
            metadata: try JSONField.object(members["metadata"], "metadata"))
    }

    private static func system(_ value: JSONValue?) throws(GatewayError) -> [ChatMessage] {
        switch value {
        case nil, .null?: return []
        case .string(let text)?: return text.isEmpty ? [] : [.system(text)]
        case .array(let blocks)?:
            var texts: [String] = []
            for (index, block) in blocks.enumerated() {
                guard case .string(let text)? = block["text"], block["type"] == .string("text") else {
                    throw .invalid("system.\(index): expected a text block", param: "system.\(index)")
                }
                texts.append(text)
            }
            return [.system(texts.joined(separator: "\n"))]
        case let other?:
            throw .invalid("system: must be a string or text blocks, got \(other.shortDescription)", param: "system")
        }
    }

    /// One turn: a user turn's `tool_result` blocks become `tool` messages (first), its other
    /// blocks one user message; an assistant turn's `tool_use` blocks become its tool calls.
    private static func messages(_ turn: JSONValue, at path: String) throws(GatewayError) -> [ChatMessage] {
        guard case .object(let fields) = turn else {
            throw .invalid("\(path): must be an object", param: path)
        }
        let role: ChatMessage.Role
        switch fields["role"] {
        case .string("user")?: role = .user
        case .string("assistant")?: role = .assistant
        case let other:
            throw .invalid(
                "\(path).role: expected 'user' or 'assistant', got \(other?.shortDescription ?? "nothing")",
                param: "\(path).role")
        }
        switch fields["content"] {
        case .string(let text)?:
            return [ChatMessage(role: role, content: .text(text))]
        case .array(let blocks)?:
            var parts: [ContentPart] = []
            var calls: [ToolCall] = []
            var results: [ChatMessage] = []
            for (index, block) in blocks.enumerated() {
                let at = "\(path).content.\(index)"
                switch block["type"] {
                case .string("text")?:
                    guard case .string(let text)? = block["text"] else {
                        throw .invalid("\(at).text: must be a string", param: "\(at).text")
                    }
                    parts.append(.text(text))
                case .string("image")?:
                    parts.append(try decode(block, as: ContentPart.self, at: at))
                case .string("tool_use")? where role == .assistant:
                    guard case .string(let id)? = block["id"], case .string(let name)? = block["name"] else {
                        throw .invalid("\(at): a tool_use block needs an id and a name", param: at)
                    }
                    let input = block["input"] ?? .object([:])
                    let arguments = (try? JSONEncoder().encode(input)).map { String(decoding: $0, as: UTF8.self) }
                    calls.append(ToolCall(id: id, function: .init(name: name, arguments: arguments ?? "{}")))
                case .string("tool_result")? where role == .user:
                    guard case .string(let id)? = block["tool_use_id"] else {
                        throw .invalid("\(at).tool_use_id: Field required", param: "\(at).tool_use_id")
                    }
                    results.append(
                        ChatMessage(
                            role: .tool, content: .text(try resultText(block["content"], at: at)), toolCallID: id))
                case let other:
                    throw .invalid(
                        "\(at).type: unsupported content block \(other?.shortDescription ?? "without a type") here",
                        param: "\(at).type")
                }
            }
            var turnMessages = results
            if !parts.isEmpty || !calls.isEmpty {
                let content: MessageContent =
                    parts.allSatisfy({ if case .text = $0 { true } else { false } })
                    ? .text(parts.compactMap { if case .text(let text) = $0 { text } else { nil } }.joined())
                    : .parts(parts)
                turnMessages.append(ChatMessage(role: role, content: content, toolCalls: calls.isEmpty ? nil : calls))
            }
            return turnMessages
        case let other:
            throw .invalid(
                "\(path).content: must be a string or an array of blocks, got \(other?.shortDescription ?? "nothing")",
                param: "\(path).content")
        }
    }

    private static func resultText(_ value: JSONValue?, at path: String) throws(GatewayError) -> String {
        switch value {
        case nil, .null?: return ""
        case .string(let text)?: return text
        case .array(let blocks)?:
            return blocks.compactMap { if case .string(let text)? = $0["text"] { text } else { nil } }.joined()
        case let other?:
            throw .invalid("\(path).content: expected text, got \(other.shortDescription)", param: "\(path).content")
        }
    }

    private static func tools(_ value: JSONValue?) throws(GatewayError) -> [ToolDefinition]? {
        switch value {
        case nil, .null?: return nil
        case .array(let entries)?:
            return try entries.enumerated().map { index, entry throws(GatewayError) in
                guard case .string(let name)? = entry["name"], !name.isEmpty else {
                    throw .invalid("tools.\(index).name: Field required", param: "tools.\(index).name")
                }
                var description: String?
                if case .string(let text)? = entry["description"] { description = text }
                return ToolDefinition(
                    function: FunctionDefinition(
                        name: name, description: description, parameters: entry["input_schema"]))
            }
        case let other?:
            throw .invalid("tools: must be an array, got \(other.shortDescription)", param: "tools")
        }
    }

    /// `auto` → `auto`, `any` → `required`, `tool` → that function, `none` → `none`.
    private static func toolChoice(_ value: JSONValue?) throws(GatewayError) -> JSONValue? {
        switch value {
        case nil, .null?: return nil
        case .object(let fields)?:
            switch fields["type"] {
            case .string("auto")?: return .string("auto")
            case .string("any")?: return .string("required")
            case .string("none")?: return .string("none")
            case .string("tool")?:
                guard case .string(let name)? = fields["name"], !name.isEmpty else {
                    throw .invalid("tool_choice.name: Field required", param: "tool_choice.name")
                }
                return .object(["type": .string("function"), "function": .object(["name": .string(name)])])
            default: break
            }
        default: break
        }
        throw .invalid(
            "tool_choice: expected {\"type\": \"auto\" | \"any\" | \"tool\" | \"none\"}", param: "tool_choice")
    }

    private static func decode<T: Decodable>(_ value: JSONValue, as type: T.Type, at path: String) throws(GatewayError)
        -> T
    {
        do {
            return try JSONDecoder().decode(T.self, from: JSONEncoder().encode(value))
        } catch let error as SignalDecodingError {
            throw .invalid("\(path): \(JSONField.detail(error))", param: path)
        } catch let error as DecodingError {
            let (field, detail) = JSONField.describe(error)
            throw .invalid("\(path)\(field.isEmpty ? "" : ".\(field)"): \(detail)", param: path)
        } catch {
            throw .invalid("\(path): \(error)", param: path)
        }
    }
}
