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
        json.raw(#"{"data":"#)
        data(&json)
        if let id {
            json.raw(#","id":"#)
            json.string(id)
        }
        if let source {
            json.raw(#","source":"#)
            json.string(source)
        }
        if let time {
            json.raw(#","time":"#)
            json.string(time)
        }
        json.raw(#","type":"#)
        json.string(type.rawValue)
        json.raw("}")
        return json.bytes
    }

    private static func write(_ r: ProviderResponse, to json: inout JSONBytes) {
        var members = Members(json: json)
        if let attempt = r.attempt {
            members.key("attempt")
            members.json.int(attempt)
        }
        if let cost = r.costUSD {
            members.key("cost_usd")
            members.json.double(cost)
        }
        if let reason = r.finishReason {
            members.key("finish_reason")
            members.json.string(reason)
        }
        if let instance = r.instance {
            members.key("instance")
            members.json.string(instance)
        }
        members.key("latency_ms")
        members.json.double(r.latencyMs)
        if let metadata = r.metadata {
            members.key("metadata")
            write(.object(metadata), to: &members.json)
        }
        members.key("model")
        members.json.string(r.model)
        members.key("provider")
        members.json.string(r.provider)
        members.key("request_id")
        members.json.string(r.requestID)
        members.key("response")
        members.json.string(r.response)
        if let run = r.run {
            members.key("run")
            members.json.string(run)
        }
        if let usage = r.usage {
            members.key("usage")
            members.json.raw(#"{"completion_tokens":"#)
            members.json.int(usage.completionTokens)
            members.json.raw(#","prompt_tokens":"#)
            members.json.int(usage.promptTokens)
            members.json.raw(#","total_tokens":"#)
            members.json.int(usage.totalTokens)
            members.json.raw("}")
        }
        json = members.close()
    }

    private static func write(_ e: ProviderError, to json: inout JSONBytes) {
        var members = Members(json: json)
        if let attempt = e.attempt {
            members.key("attempt")
            members.json.int(attempt)
        }
        members.key("error")
        members.json.string(e.error)
        members.key("error_type")
        members.json.string(e.errorType.rawValue)
        if let field = e.field {
            members.key("field")
            members.json.string(field)
        }
        if let instance = e.instance {
            members.key("instance")
            members.json.string(instance)
        }
        if let metadata = e.metadata {
            members.key("metadata")
            write(.object(metadata), to: &members.json)
        }
        if let model = e.model {
            members.key("model")
            members.json.string(model)
        }
        if let provider = e.provider {
            members.key("provider")
            members.json.string(provider)
        }
        members.key("request_id")
        members.json.string(e.requestID)
        if let retryAfter = e.retryAfterMs {
            members.key("retry_after_ms")
            members.json.int(retryAfter)
        }
        members.key("retryable")
        members.json.bool(e.retryable)
        if let status = e.statusCode {
            members.key("status_code")
            members.json.int(status)
        }
        json = members.close()
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

    /// An object's members, comma-separated.
    private struct Members {
        var json: JSONBytes
        private var first = true

        init(json: JSONBytes) {
            self.json = json
            self.json.raw("{")
        }

        mutating func key(_ name: String) {
            json.raw(first ? "\"" : ",\"")
            json.raw(name)
            json.raw("\":")
            first = false
        }

        mutating func close() -> JSONBytes {
            json.raw("}")
            return json
        }
    }
}
