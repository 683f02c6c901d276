import Common

// The encoding fast path for the agent's hot answers (`provider_response` without tool calls,
// `provider_error` without a request; both without a route): written directly as compact JSON with sorted
// keys, like `encoded()`'s `JSONEncoder` output, at a fraction of its cost. Anything else returns
// `nil` and goes through `JSONEncoder`. `FastEncodingTests` checks both decode to the same value.
extension SignalEnvelope {
    func fastEncoded() -> [UInt8]? {
        switch signal {
        case .providerResponse(let response):
            guard response.toolCalls == nil, response.route == nil, response.latencyMs.isFinite,
                response.costUSD?.isFinite ?? true, response.metadata.map(Self.isPlain) ?? true
            else { return nil }
            return envelope(type: .providerResponse, capacity: 256 + response.response.utf8.count) { json in
                Self.write(response, to: &json)
            }
        case .providerError(let error):
            guard error.request == nil, error.route == nil, error.metadata.map(Self.isPlain) ?? true else { return nil }
            return envelope(type: .providerError, capacity: 256 + error.error.utf8.count) { json in
                Self.write(error, to: &json)
            }
        default:
            return nil
        }
    }

    /// `{"data":…,"id":…,"source":…,"time":…,"type":…}` (sorted keys, absent members left out).
    private func envelope(type: SignalType, capacity: Int, data: (inout JSONBytes) -> Void) -> [UInt8] {
        var json = JSONBytes(capacity: capacity)
        json.beginObject()
        json.key("data")
        data(&json)
        json.member("id", id)
        json.member("source", source)
        json.member("time", time)
        json.member("type", type.rawValue)
        json.endObject()
        return json.bytes
    }

    private static func write(_ r: ProviderResponse, to json: inout JSONBytes) {
        json.beginObject()
        json.member("attempt", r.attempt)
        json.member("cost_usd", r.costUSD)
        json.member("finish_reason", r.finishReason)
        json.member("instance", r.instance)
        json.member("latency_ms", r.latencyMs)
        if let metadata = r.metadata {
            json.key("metadata")
            write(.object(metadata), to: &json)
        }
        json.member("model", r.model)
        json.member("provider", r.provider)
        json.member("request_id", r.requestID)
        json.member("response", r.response)
        json.member("run", r.run)
        if let usage = r.usage {
            json.key("usage")
            json.beginObject()
            json.member("completion_tokens", usage.completionTokens)
            json.member("prompt_tokens", usage.promptTokens)
            json.member("total_tokens", usage.totalTokens)
            json.endObject()
        }
        json.endObject()
    }

    private static func write(_ e: ProviderError, to json: inout JSONBytes) {
        json.beginObject()
        json.member("attempt", e.attempt)
        json.member("error", e.error)
        json.member("error_type", e.errorType.rawValue)
        json.member("field", e.field)
        json.member("instance", e.instance)
        if let metadata = e.metadata {
            json.key("metadata")
            write(.object(metadata), to: &json)
        }
        json.member("model", e.model)
        json.member("provider", e.provider)
        json.member("request_id", e.requestID)
        json.member("retry_after_ms", e.retryAfterMs)
        json.member("retryable", e.retryable)
        json.member("status_code", e.statusCode)
        json.endObject()
    }

    /// Whether `JSONEncoder` would write these values as ``write(_:to:)`` does: finite numbers
    /// only (anything else goes the slow way, which also refuses what it cannot write).
    private static func isPlain(_ object: [String: JSONValue]) -> Bool {
        object.values.allSatisfy(isPlain)
    }

    private static func isPlain(_ value: JSONValue) -> Bool {
        switch value {
        case .number(let number): number.isFinite
        case .array(let values): values.allSatisfy(isPlain)
        case .object(let members): isPlain(members)
        case .null, .bool, .integer, .string: true
        }
    }

    /// A JSON value with sorted keys, as `JSONEncoder` writes it with `.sortedKeys`.
    private static func write(_ value: JSONValue, to json: inout JSONBytes) {
        switch value {
        case .null: json.raw("null")
        case .bool(let flag): json.bool(flag)
        case .integer(let number): json.int(number)
        case .number(let number): json.double(number)
        case .string(let text): json.string(text)
        case .array(let values):
            json.raw("[")
            for (index, element) in values.enumerated() {
                if index > 0 { json.raw(",") }
                write(element, to: &json)
            }
            json.raw("]")
        case .object(let members):
            json.raw("{")
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { json.raw(",") }
                json.string(key)
                json.raw(":")
                write(members[key]!, to: &json)
            }
            json.raw("}")
        }
    }
}
