import Foundation
public import Signals

/// An OpenAI `POST /v1/chat/completions` body, checked and turned into a `provider_request`.
///
/// Strict as OpenAI is: a field of the wrong type, out of range, or unknown is a 400 naming it.
/// Fields OpenAI accepts that providers here do not use (`user`, `seed`, penalties, ...) are
/// accepted and left out; `n` above 1 and `logprobs` are refused, since no answer would carry them.
public struct ChatCompletionRequest: Sendable, Hashable {
    /// Where the request goes.
    public enum Target: Sendable, Hashable {
        /// The router picks the provider (and falls back).
        case router
        /// `provider/model`: straight to this provider's agents, no fallback.
        case provider(String)
    }

    /// The model as the client named it (echoed in answers).
    public var model: String
    public var target: Target
    public var stream: Bool
    /// `stream_options.include_usage`: a last chunk with the usage.
    public var includeUsage: Bool
    public var request: ProviderRequest

    /// Members the gateway reads.
    static let used: Set<String> = [
        "model", "messages", "temperature", "top_p", "max_tokens", "max_completion_tokens", "stop", "tools",
        "tool_choice", "stream", "stream_options", "n", "logprobs", "metadata",
    ]
    /// Members OpenAI accepts that the gateway accepts and leaves out.
    static let ignored: Set<String> = [
        "user", "seed", "presence_penalty", "frequency_penalty", "logit_bias", "response_format",
        "parallel_tool_calls", "service_tier", "store", "top_logprobs", "reasoning_effort", "modalities",
        "prediction", "audio", "web_search_options", "functions", "function_call",
    ]

    /// Parses `body`; `requestID` becomes the signal's `request_id`.
    public static func parse(_ body: [UInt8], requestID: String) throws(GatewayError) -> ChatCompletionRequest {
        let root: JSONValue
        do {
            root = try JSONDecoder().decode(JSONValue.self, from: Data(body))
        } catch {
            throw .invalid("the request body is not valid JSON: \(Self.reason(error))")
        }
        guard case .object(let members) = root else {
            throw .invalid("the request body must be a JSON object, got \(root.shortDescription)")
        }
        for name in members.keys.sorted() where !used.contains(name) && !ignored.contains(name) {
            throw .invalid("Unrecognized request argument supplied: \(name)", param: name)
        }
        let model = try string(members["model"], "model", required: true) ?? ""
        guard !model.isEmpty else { throw .invalid("you must provide a model parameter", param: "model") }
        let target: Target
        var providerModel: String? = model
        if let slash = model.firstIndex(of: "/"), model.first != "/" {
            let provider = String(model[..<slash])
            let rest = String(model[model.index(after: slash)...])
            target = .provider(provider)
            providerModel = rest.isEmpty ? nil : rest
        } else {
            target = .router
        }
        let messages = try decodeList(members["messages"], "messages", as: ChatMessage.self)
        guard let messages, !messages.isEmpty else {
            throw .invalid("'messages' must be a non-empty array", param: "messages")
        }
        let temperature = try number(members["temperature"], "temperature", in: 0...2)
        let topP = try number(members["top_p"], "top_p", in: 0...1)
        let legacyMaxTokens = try integer(members["max_tokens"], "max_tokens")
        let maxTokens = try integer(members["max_completion_tokens"], "max_completion_tokens") ?? legacyMaxTokens
        let stop = try stopList(members["stop"])
        let tools = try decodeList(members["tools"], "tools", as: ToolDefinition.self)
        let toolChoice = try toolChoice(members["tool_choice"])
        let stream = try bool(members["stream"], "stream") ?? false
        var includeUsage = false
        if let options = members["stream_options"], options != .null {
            guard case .object(let fields) = options else {
                throw .invalid("'stream_options' must be an object", param: "stream_options")
            }
            guard stream else {
                throw .invalid("'stream_options' is only allowed when 'stream' is true", param: "stream_options")
            }
            for name in fields.keys where name != "include_usage" {
                throw .invalid("Unrecognized stream option: \(name)", param: "stream_options.\(name)")
            }
            includeUsage = try bool(fields["include_usage"], "stream_options.include_usage") ?? false
        }
        if let n = try integer(members["n"], "n"), n != 1 {
            throw .invalid("only n = 1 is supported, got \(n)", param: "n")
        }
        if try bool(members["logprobs"], "logprobs") == true {
            throw .invalid("logprobs are not supported", param: "logprobs")
        }
        var metadata: [String: JSONValue]?
        if let value = members["metadata"], value != .null {
            guard case .object(let fields) = value else {
                throw .invalid("'metadata' must be an object", param: "metadata")
            }
            metadata = fields
        }
        var providerName: String?
        if case .provider(let name) = target { providerName = name }
        let request = ProviderRequest(
            requestID: requestID, messages: messages, model: providerModel, temperature: temperature,
            maxTokens: maxTokens, topP: topP, stop: stop, tools: tools, toolChoice: toolChoice,
            stream: stream ? true : nil, provider: providerName, metadata: metadata
        )
        return ChatCompletionRequest(
            model: model, target: target, stream: stream, includeUsage: includeUsage, request: request)
    }

    // MARK: Fields

    private static func string(_ value: JSONValue?, _ name: String, required: Bool = false) throws(GatewayError)
        -> String?
    {
        switch value {
        case nil, .null?:
            if required { throw .invalid("you must provide a \(name) parameter", param: name) }
            return nil
        case .string(let text)?: return text
        case let other?: throw .invalid("'\(name)' must be a string, got \(other.shortDescription)", param: name)
        }
    }

    private static func number(_ value: JSONValue?, _ name: String, in range: ClosedRange<Double>) throws(GatewayError)
        -> Double?
    {
        let number: Double
        switch value {
        case nil, .null?: return nil
        case .integer(let integer)?: number = Double(integer)
        case .number(let double)?: number = double
        case let other?: throw .invalid("'\(name)' must be a number, got \(other.shortDescription)", param: name)
        }
        guard range.contains(number) else {
            throw .invalid(
                "'\(name)' must be between \(range.lowerBound) and \(range.upperBound), got \(number)", param: name)
        }
        return number
    }

    private static func integer(_ value: JSONValue?, _ name: String) throws(GatewayError) -> Int? {
        switch value {
        case nil, .null?: return nil
        case .integer(let integer)?:
            guard integer >= 1 else { throw .invalid("'\(name)' must be at least 1, got \(integer)", param: name) }
            return integer
        case let other?: throw .invalid("'\(name)' must be an integer, got \(other.shortDescription)", param: name)
        }
    }

    private static func bool(_ value: JSONValue?, _ name: String) throws(GatewayError) -> Bool? {
        switch value {
        case nil, .null?: return nil
        case .bool(let flag)?: return flag
        case let other?: throw .invalid("'\(name)' must be a boolean, got \(other.shortDescription)", param: name)
        }
    }

    private static func stopList(_ value: JSONValue?) throws(GatewayError) -> [String]? {
        switch value {
        case nil, .null?: return nil
        case .string(let text)?: return [text]
        case .array(let values)?:
            guard values.count <= 4 else { throw .invalid("'stop' may hold at most 4 sequences", param: "stop") }
            var stops: [String] = []
            for (index, value) in values.enumerated() {
                guard case .string(let text) = value else {
                    throw .invalid(
                        "'stop[\(index)]' must be a string, got \(value.shortDescription)", param: "stop[\(index)]")
                }
                stops.append(text)
            }
            return stops
        case let other?:
            throw .invalid(
                "'stop' must be a string or an array of strings, got \(other.shortDescription)", param: "stop")
        }
    }

    private static func toolChoice(_ value: JSONValue?) throws(GatewayError) -> JSONValue? {
        switch value {
        case nil, .null?: return nil
        case .string(let mode)? where ["auto", "none", "required"].contains(mode): return value
        case .object(let fields)? where fields["type"] == .string("function"):
            guard case .object(let function)? = fields["function"], case .string(let name)? = function["name"],
                !name.isEmpty
            else {
                throw .invalid("'tool_choice.function.name' must be a non-empty string", param: "tool_choice")
            }
            return value
        case let other?:
            throw .invalid(
                "'tool_choice' must be \"auto\", \"none\", \"required\" or {\"type\": \"function\", ...}, got "
                    + other.shortDescription,
                param: "tool_choice")
        }
    }

    /// Each element of the array at `name` decoded as `T`, the error naming `name[i].field`.
    private static func decodeList<T: Decodable>(_ value: JSONValue?, _ name: String, as type: T.Type)
        throws(GatewayError) -> [T]?
    {
        switch value {
        case nil, .null?: return nil
        case .array(let elements)?:
            var decoded: [T] = []
            decoded.reserveCapacity(elements.count)
            for (index, element) in elements.enumerated() {
                do {
                    let data = try JSONEncoder().encode(element)
                    decoded.append(try JSONDecoder().decode(T.self, from: data))
                } catch let error as SignalDecodingError {
                    let path = error.path.isEmpty ? "" : ".\(error.path)"
                    throw .invalid(
                        "'\(name)[\(index)]\(path)': \(Self.detail(error))", param: "\(name)[\(index)]\(path)")
                } catch let error as DecodingError {
                    let (path, detail) = Self.describe(error)
                    let field = "\(name)[\(index)]" + (path.isEmpty ? "" : ".\(path)")
                    throw .invalid("'\(field)': \(detail)", param: field)
                } catch {
                    throw .invalid("'\(name)[\(index)]': \(error)", param: "\(name)[\(index)]")
                }
            }
            return decoded
        case let other?:
            throw .invalid("'\(name)' must be an array, got \(other.shortDescription)", param: name)
        }
    }

    /// A decoding error's message without its path (the caller writes the whole path).
    private static func detail(_ error: SignalDecodingError) -> String {
        let prefix = "\(error.path): "
        return error.message.hasPrefix(prefix) ? String(error.message.dropFirst(prefix.count)) : error.message
    }

    /// The path (`content[0].type`) and what is wrong.
    static func describe(_ error: DecodingError) -> (path: String, detail: String) {
        func render(_ path: [any CodingKey]) -> String {
            var text = ""
            for key in path {
                if let index = key.intValue {
                    text += "[\(index)]"
                } else {
                    text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
                }
            }
            return text
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = render(context.codingPath)
            return (parent.isEmpty ? key.stringValue : "\(parent).\(key.stringValue)", "is required")
        case .typeMismatch(let type, let context):
            return (render(context.codingPath), "expected \(Self.typeName(type))")
        case .valueNotFound(let type, let context):
            return (render(context.codingPath), "expected \(Self.typeName(type)), got null")
        case .dataCorrupted(let context):
            return (render(context.codingPath), context.debugDescription)
        @unknown default:
            return ("", "\(error)")
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Double.Type: "a number"
        case is Bool.Type: "a boolean"
        case is [Any].Type: "an array"
        default: "\(type)"
        }
    }

    private static func reason(_ error: any Error) -> String {
        if let decoding = error as? DecodingError, case .dataCorrupted(let context) = decoding {
            return (context.underlyingError.map { "\($0)" } ?? context.debugDescription)
        }
        return "\(error)"
    }
}
