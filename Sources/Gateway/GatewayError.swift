import Common
public import Signals

/// An error the gateway answers with: an HTTP status and the body OpenAI's SDKs read
/// (`{"error": {"message", "type", "param", "code"}}`). Every failure is mapped to one of these
/// once, here: bad input, keys, and the final `provider_error` of a request.
public struct GatewayError: Error, Sendable, Hashable, CustomStringConvertible {
    public var status: Int
    /// OpenAI's error `type` (`invalid_request_error`, `authentication_error`, ...).
    public var type: String
    public var message: String
    /// The request field at fault (`messages[0].role`), when there is one.
    public var param: String?
    /// A machine-readable code (`model_not_found`, `rate_limit_exceeded`, ...).
    public var code: String?
    /// Seconds for `Retry-After` (429 and 503).
    public var retryAfterSeconds: Int?

    public init(
        status: Int, type: String, message: String, param: String? = nil, code: String? = nil,
        retryAfterSeconds: Int? = nil
    ) {
        self.status = status
        self.type = type
        self.message = message
        self.param = param
        self.code = code
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String { "\(status) \(type): \(message)" }

    /// 400: the request is wrong; `param` names the field.
    public static func invalid(_ message: String, param: String? = nil, code: String? = nil) -> GatewayError {
        GatewayError(status: 400, type: "invalid_request_error", message: message, param: param, code: code)
    }

    /// 401: no key, or one the gateway does not know.
    public static func unauthorized(_ message: String) -> GatewayError {
        GatewayError(status: 401, type: "authentication_error", message: message, code: "invalid_api_key")
    }

    /// 403: a known key that may not use this model.
    public static func forbidden(_ message: String) -> GatewayError {
        GatewayError(status: 403, type: "permission_error", message: message, code: "model_not_allowed")
    }

    /// 404: a model nobody serves, or a path the gateway does not have.
    public static func notFound(_ message: String, code: String = "model_not_found", param: String = "model")
        -> GatewayError
    {
        GatewayError(status: 404, type: "invalid_request_error", message: message, param: param, code: code)
    }

    /// 413: a body over the limit.
    public static func tooLarge(limit: Int) -> GatewayError {
        GatewayError(
            status: 413, type: "invalid_request_error",
            message: "the request body is larger than the gateway's limit of \(limit) bytes",
            code: "request_too_large")
    }

    /// 429: the key's own rate limit (this instance's share of it) is spent; `retryAfter` `nil`:
    /// the request alone is larger than the key's token budget.
    public static func keyLimited(_ key: String, limit: String, retryAfter: Duration?) -> GatewayError {
        let seconds = retryAfter.map { max(1, Int(($0.wholeMilliseconds + 999) / 1_000)) }
        return GatewayError(
            status: 429, type: "rate_limit_error",
            message: seconds == nil
                ? "the request is larger than the token budget of key '\(key)' (\(limit))"
                : "rate limit of key '\(key)' reached (\(limit)); retry after \(seconds!) s",
            code: "rate_limit_exceeded", retryAfterSeconds: seconds)
    }

    /// 504: no answer before the gateway's deadline.
    public static func deadline(_ message: String) -> GatewayError {
        GatewayError(status: 504, type: "timeout_error", message: message, code: "deadline_exceeded")
    }

    /// 503: the gateway cannot serve now (broker unreachable, shutting down).
    public static func unavailable(_ message: String, retryAfterSeconds: Int? = nil) -> GatewayError {
        GatewayError(
            status: 503, type: "service_unavailable_error", message: message, code: "service_unavailable",
            retryAfterSeconds: retryAfterSeconds)
    }

    /// The HTTP answer to a request's final `provider_error`.
    public init(_ error: ProviderError) {
        let retry = error.retryAfterMs.map { max(1, ($0 + 999) / 1_000) }
        let message = error.error
        switch error.errorType {
        case .invalidRequest, .unsupported:
            self = .invalid(message, param: error.field)
        case .contextLengthExceeded:
            self = .invalid(message, param: "messages", code: "context_length_exceeded")
        case .contentFiltered, .contentBlocked:
            self = .invalid(message, code: "content_filter")
        case .rateLimited:
            self = GatewayError(
                status: 429, type: "rate_limit_error", message: message, code: "rate_limit_exceeded",
                retryAfterSeconds: retry ?? 1)
        case .circuitOpen, .overloaded, .resourceConstrained:
            self = GatewayError(
                status: 503, type: "service_unavailable_error", message: message, code: error.errorType.rawValue,
                retryAfterSeconds: retry)
        case .modelUnavailable:
            self = .notFound(message)
        case .deadlineExceeded, .timeout:
            self = .deadline(message)
        default:
            // The provider failed (its own error, or its key refused upstream): not the caller's fault.
            self = GatewayError(
                status: 502, type: "upstream_error", message: message, code: error.errorType.rawValue)
        }
    }

    /// Anthropic's error body: `{"type": "error", "error": {"type", "message"}}`, its type from
    /// the status as Anthropic names them.
    public var anthropicBody: [UInt8] {
        let kind =
            switch status {
            case 400, 409: "invalid_request_error"
            case 401: "authentication_error"
            case 403: "permission_error"
            case 404: "not_found_error"
            case 413: "request_too_large"
            case 429: "rate_limit_error"
            case 503: "overloaded_error"
            case 504: "timeout_error"
            default: "api_error"
            }
        var json = JSONBytes(capacity: 96 + message.utf8.count)
        json.beginObject()
        json.member("type", "error")
        json.key("error")
        json.beginObject()
        json.member("type", kind)
        json.member("message", param.map { message.contains($0) ? message : "\($0): \(message)" } ?? message)
        json.endObject()
        json.endObject()
        return json.bytes
    }

    /// OpenAI's error body.
    public var openAIBody: [UInt8] {
        var json = JSONBytes(capacity: 160 + message.utf8.count)
        json.beginObject()
        json.key("error")
        json.beginObject()
        json.member("message", message)
        json.member("type", type)
        json.key("param")
        if let param { json.string(param) } else { json.raw("null") }
        json.key("code")
        if let code { json.string(code) } else { json.raw("null") }
        json.endObject()
        json.endObject()
        return json.bytes
    }
}
