import Common

// The decoding fast path for the agent's hot signals (`provider_request`, `stream_request`,
// `vision_request` with plain-text messages): a direct parse into values, without Foundation's
// `Codable` machinery, which cost ~40 µs per request (the largest single item in the agent's
// profile). It accepts only what the strict path accepts with the same result — anything
// unusual (tools, content parts, nulls, fractional numbers in open-ended members, values out of
// range, duplicate keys) returns `nil`, and the strict path decodes the same bytes, producing
// the result or the precise error. `FastPathEquivalenceTests` checks both paths agree.
extension SignalDecoder {
    static func fastDecode(_ bytes: [UInt8]) -> SignalEnvelope? {
        guard case .object(let top)? = SignalJSONParser.parse(bytes) else { return nil }
        var wrap: ((ProviderRequest) -> Signal)?
        var id: String?
        var source: String?
        var time: String?
        var data: [OrderedJSON.Member]?
        // One pass over the members; other top-level members are ignored, as the strict path does.
        for member in top {
            switch member.key {
            case "type":
                guard case .string(let rawType) = member.value else { return nil }
                switch rawType {
                case SignalType.providerRequest.rawValue: wrap = Signal.providerRequest
                case SignalType.streamRequest.rawValue: wrap = Signal.streamRequest
                case SignalType.visionRequest.rawValue: wrap = Signal.visionRequest
                default: return nil
                }
            case "id": guard fastString(member.value, into: &id) else { return nil }
            case "source": guard fastString(member.value, into: &source) else { return nil }
            case "time": guard fastString(member.value, into: &time) else { return nil }
            case "data":
                guard case .object(let members) = member.value else { return nil }
                data = members
            default:
                continue
            }
        }
        guard let wrap, let data, let request = ProviderRequest(fast: data) else { return nil }
        return SignalEnvelope(signal: wrap(request), id: id, source: source, time: time)
    }
}

/// The hot signals' decoding fast path reads its bytes with the house's scanner into ordered
/// objects, walked once.
typealias SignalJSONParser = JSONTreeParser<OrderedJSON>

extension ProviderRequest {
    init?(fast members: [OrderedJSON.Member]) {
        var requestID: String?
        var messages: [ChatMessage] = []
        var model: String?
        var temperature: Double?
        var maxTokens: Int?
        var topP: Double?
        var stop: [String]?
        var stream: Bool?
        var expiresAt: String?
        var timeoutMs: Int?
        var partitionKey: String?
        var replyTo: String?
        var provider: String?
        var attempt: Int?
        var priority: RequestPriority?
        var metadata: [String: JSONValue]?
        var extra: [String: JSONValue] = [:]
        for member in members {
            let value = member.value
            switch member.key {
            case "request_id":
                guard case .string(let id) = value, !id.isEmpty else { return nil }
                requestID = id
            case "messages":
                guard case .array(let rawMessages) = value, !rawMessages.isEmpty else { return nil }
                messages.reserveCapacity(rawMessages.count)
                for raw in rawMessages {
                    guard case .object(let fields) = raw, let message = ChatMessage(fast: fields) else { return nil }
                    messages.append(message)
                }
            case "tools", "tool_choice", "route": return nil
            case "model": guard fastString(value, into: &model) else { return nil }
            case "temperature": guard fastDouble(value, in: 0...2, into: &temperature) else { return nil }
            case "max_tokens": guard fastInt(value, atLeast: 1, into: &maxTokens) else { return nil }
            case "top_p": guard fastDouble(value, in: 0...1, into: &topP) else { return nil }
            case "stop":
                guard case .array(let values) = value else { return nil }
                var strings: [String] = []
                for value in values {
                    guard case .string(let string) = value else { return nil }
                    strings.append(string)
                }
                stop = strings
            case "stream":
                guard case .bool(let flag) = value else { return nil }
                stream = flag
            case "expires_at": guard fastString(value, into: &expiresAt) else { return nil }
            case "timeout_ms": guard fastInt(value, atLeast: 1, into: &timeoutMs) else { return nil }
            case "partition_key": guard fastString(value, into: &partitionKey) else { return nil }
            case "reply_to": guard fastString(value, into: &replyTo) else { return nil }
            case "provider": guard fastString(value, into: &provider) else { return nil }
            case "attempt": guard fastInt(value, atLeast: 1, into: &attempt) else { return nil }
            case "priority":
                guard case .string(let name) = value, let known = RequestPriority(rawValue: name) else { return nil }
                priority = known
            case "metadata":
                guard case .object = value, value.isFastPathExact, case .object(let values) = JSONValue(value) else {
                    return nil
                }
                metadata = values
            default:
                guard value.isFastPathExact else { return nil }
                extra[member.key] = JSONValue(value)
            }
        }
        guard let requestID, !messages.isEmpty else { return nil }
        self.init(
            requestID: requestID, messages: messages, model: model, temperature: temperature, maxTokens: maxTokens,
            topP: topP, stop: stop, tools: nil, toolChoice: nil, stream: stream, expiresAt: expiresAt,
            timeoutMs: timeoutMs,
            partitionKey: partitionKey, replyTo: replyTo, provider: provider, metadata: metadata, extra: extra,
            attempt: attempt, priority: priority
        )
    }
}

extension ChatMessage {
    init?(fast fields: [OrderedJSON.Member]) {
        var role: Role?
        var text: String?
        var name: String?
        // Other members are ignored, as the strict path does.
        for field in fields {
            switch field.key {
            case "role":
                guard case .string(let rawRole) = field.value, let known = Role(rawValue: rawRole) else { return nil }
                role = known
            case "content": guard fastString(field.value, into: &text) else { return nil }
            case "name": guard fastString(field.value, into: &name) else { return nil }
            case "tool_call_id", "tool_calls":
                return nil
            default:
                continue
            }
        }
        guard let role, let text else { return nil }
        self.init(role: role, content: .text(text), name: name)
    }
}

extension OrderedJSON {
    /// No fractional or exponent numbers anywhere: `.number` values are where the strict path
    /// (which tries `Int` before `Double`) may decode differently.
    var isFastPathExact: Bool {
        switch self {
        case .number: false
        case .array(let values): values.allSatisfy(\.isFastPathExact)
        case .object(let members): members.allSatisfy(\.value.isFastPathExact)
        default: true
        }
    }
}

extension JSONValue {
    /// The same value with its objects as dictionaries (keys are unique: the parser refused
    /// duplicates).
    init(_ value: OrderedJSON) {
        switch value {
        case .null: self = .null
        case .bool(let flag): self = .bool(flag)
        case .integer(let number): self = .integer(number)
        case .number(let number): self = .number(number)
        case .string(let string): self = .string(string)
        case .array(let values): self = .array(values.map(JSONValue.init))
        case .object(let members):
            var object: [String: JSONValue] = [:]
            object.reserveCapacity(members.count)
            for member in members { object[member.key] = JSONValue(member.value) }
            self = .object(object)
        }
    }
}

// A member of the simple kind is stored and `true`; anything else (null, another type, out
// of range) is `false`, which sends the message to the strict path.

private func fastString(_ value: OrderedJSON, into field: inout String?) -> Bool {
    guard case .string(let string) = value else { return false }
    field = string
    return true
}

private func fastInt(_ value: OrderedJSON, atLeast minimum: Int, into field: inout Int?) -> Bool {
    guard case .integer(let number) = value, number >= minimum else { return false }
    field = number
    return true
}

private func fastDouble(_ value: OrderedJSON, in range: ClosedRange<Double>, into field: inout Double?)
    -> Bool
{
    switch value {
    case .integer(let number) where range.contains(Double(number)): field = Double(number)
    case .number(let number) where range.contains(number): field = number
    default: return false
    }
    return true
}
