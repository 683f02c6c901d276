// The decoding fast path for the agent's hot signals (`provider_request`, `stream_request`,
// `vision_request` with plain-text messages): a direct parse into values, without Foundation's
// `Codable` machinery, which cost ~40 µs per request (the largest single item in the agent's
// profile). It accepts only what the strict path accepts with the same result — anything
// unusual (tools, content parts, nulls, fractional numbers in open-ended members, values out of
// range, duplicate keys) returns `nil`, and the strict path decodes the same bytes, producing
// the result or the precise error. `FastPathEquivalenceTests` checks both paths agree.
extension SignalDecoder {
    static func fastDecode(_ bytes: [UInt8]) -> SignalEnvelope? {
        guard case .object(let top)? = FastJSONParser.parse(bytes), case .string(let rawType)? = top["type"] else {
            return nil
        }
        let wrap: (ProviderRequest) -> Signal
        switch rawType {
        case SignalType.providerRequest.rawValue: wrap = Signal.providerRequest
        case SignalType.streamRequest.rawValue: wrap = Signal.streamRequest
        case SignalType.visionRequest.rawValue: wrap = Signal.visionRequest
        default: return nil
        }
        guard let id = top.fastOptionalString("id"), let source = top.fastOptionalString("source"),
            let time = top.fastOptionalString("time"),
            case .object(let data)? = top["data"], let request = ProviderRequest(fast: data)
        else { return nil }
        return SignalEnvelope(signal: wrap(request), id: id, source: source, time: time)
    }
}

extension ProviderRequest {
    init?(fast o: [String: JSONValue]) {
        guard case .string(let requestID)? = o["request_id"], !requestID.isEmpty,
            case .array(let rawMessages)? = o["messages"], !rawMessages.isEmpty
        else { return nil }
        var messages: [ChatMessage] = []
        messages.reserveCapacity(rawMessages.count)
        for raw in rawMessages {
            guard case .object(let fields) = raw, let message = ChatMessage(fast: fields) else { return nil }
            messages.append(message)
        }
        guard o["tools"] == nil, o["tool_choice"] == nil, o["route"] == nil,
            let model = o.fastOptionalString("model"),
            let temperature = o.fastOptionalDouble("temperature", in: 0...2),
            let maxTokens = o.fastOptionalInt("max_tokens", atLeast: 1),
            let topP = o.fastOptionalDouble("top_p", in: 0...1),
            let stop = o.fastOptionalStrings("stop"),
            let stream = o.fastOptionalBool("stream"),
            let expiresAt = o.fastOptionalString("expires_at"),
            let timeoutMs = o.fastOptionalInt("timeout_ms", atLeast: 1),
            let partitionKey = o.fastOptionalString("partition_key"),
            let replyTo = o.fastOptionalString("reply_to"),
            let provider = o.fastOptionalString("provider"),
            let attempt = o.fastOptionalInt("attempt", atLeast: 1)
        else { return nil }
        var metadata: [String: JSONValue]?
        if let raw = o["metadata"] {
            guard case .object(let values) = raw, raw.isFastPathExact else { return nil }
            metadata = values
        }
        var extra: [String: JSONValue] = [:]
        for (key, value) in o where !Self.fastKnownKeys.contains(key) {
            guard value.isFastPathExact else { return nil }
            extra[key] = value
        }
        self.init(
            requestID: requestID, messages: messages, model: model, temperature: temperature, maxTokens: maxTokens,
            topP: topP, stop: stop, tools: nil, toolChoice: nil, stream: stream, expiresAt: expiresAt,
            timeoutMs: timeoutMs,
            partitionKey: partitionKey, replyTo: replyTo, provider: provider, metadata: metadata, extra: extra,
            attempt: attempt
        )
    }

    static let fastKnownKeys: Set<String> = Set(CodingKeys.allCases.map(\.rawValue))
}

extension ChatMessage {
    init?(fast fields: [String: JSONValue]) {
        guard case .string(let rawRole)? = fields["role"], let role = Role(rawValue: rawRole),
            case .string(let text)? = fields["content"],
            fields["tool_call_id"] == nil, fields["tool_calls"] == nil,
            let name = fields.fastOptionalString("name")
        else { return nil }
        self.init(role: role, content: .text(text), name: name)
    }
}

extension JSONValue {
    /// No fractional or exponent numbers anywhere: `.number` values are where the strict path
    /// (which tries `Int` before `Double`) may decode differently.
    var isFastPathExact: Bool {
        switch self {
        case .number: false
        case .array(let values): values.allSatisfy(\.isFastPathExact)
        case .object(let values): values.values.allSatisfy(\.isFastPathExact)
        default: true
        }
    }
}

// Optional members: `.some(nil)` when absent, `nil` when present but not the simple case
// (which sends the message to the strict path).
extension Dictionary where Key == String, Value == JSONValue {
    func fastOptionalString(_ key: String) -> String?? {
        switch self[key] {
        case nil: .some(nil)
        case .string(let value)?: .some(value)
        default: nil
        }
    }

    func fastOptionalBool(_ key: String) -> Bool?? {
        switch self[key] {
        case nil: .some(nil)
        case .bool(let value)?: .some(value)
        default: nil
        }
    }

    func fastOptionalInt(_ key: String, atLeast minimum: Int) -> Int?? {
        switch self[key] {
        case nil: .some(nil)
        case .integer(let value)? where value >= minimum: .some(value)
        default: nil
        }
    }

    func fastOptionalDouble(_ key: String, in range: ClosedRange<Double>) -> Double?? {
        switch self[key] {
        case nil: return .some(nil)
        case .integer(let value)? where range.contains(Double(value)): return .some(Double(value))
        case .number(let value)? where range.contains(value): return .some(value)
        default: return nil
        }
    }

    func fastOptionalStrings(_ key: String) -> [String]?? {
        switch self[key] {
        case nil: return .some(nil)
        case .array(let values)?:
            var strings: [String] = []
            for value in values {
                guard case .string(let string) = value else { return nil }
                strings.append(string)
            }
            return .some(strings)
        default: return nil
        }
    }
}
