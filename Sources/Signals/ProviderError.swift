/// `provider_error`: the failed answer to any asking signal.
public struct ProviderError: Sendable, Hashable, Codable {
    public var requestID: String
    public var errorType: ProviderErrorType
    /// Human readable; never contains secrets.
    public var error: String
    /// Whether sending the same request again (possibly elsewhere) may succeed.
    public var retryable: Bool
    /// When retryable: how long to wait first.
    public var retryAfterMs: Int?
    public var provider: String?
    public var model: String?
    /// For `invalid_request`: JSON path of the offending field.
    public var field: String?
    /// Upstream HTTP status, when there was one.
    public var statusCode: Int?
    public var attempt: Int?
    public var instance: String?
    public var metadata: [String: JSONValue]?
    /// The routed request itself, with its route context: present only on a retryable error an
    /// agent hands back to the routers (on `llm.errors`) so that any router can send the next
    /// attempt. Such an error is not a final answer; clients ignore it.
    public var request: ProviderRequest?
    /// Echo of a routed request's route context on a final error (the attempts it made).
    public var route: RouteContext?

    public init(
        requestID: String, errorType: ProviderErrorType, error: String, retryable: Bool,
        retryAfterMs: Int? = nil, provider: String? = nil, model: String? = nil, field: String? = nil,
        statusCode: Int? = nil, attempt: Int? = nil, instance: String? = nil, metadata: [String: JSONValue]? = nil,
        request: ProviderRequest? = nil, route: RouteContext? = nil
    ) {
        self.requestID = requestID
        self.errorType = errorType
        self.error = error
        self.retryable = retryable
        self.retryAfterMs = retryAfterMs
        self.provider = provider
        self.model = model
        self.field = field
        self.statusCode = statusCode
        self.attempt = attempt
        self.instance = instance
        self.metadata = metadata
        self.request = request
        self.route = route
    }

    /// Whether this error ends its request (every error but one handed back to the routers).
    public var isFinal: Bool { request == nil }

    /// The `invalid_request` answer for a request that failed to decode but had a `request_id`.
    public init?(invalidRequest decodingError: SignalDecodingError, provider: String? = nil) {
        guard let requestID = decodingError.requestID else { return nil }
        self.init(
            requestID: requestID, errorType: .invalidRequest, error: decodingError.message, retryable: false,
            provider: provider, field: decodingError.path.isEmpty ? nil : decodingError.path)
    }

    enum CodingKeys: String, CodingKey {
        case error, retryable, provider, model, field, attempt, instance, metadata, request, route
        case requestID = "request_id"
        case errorType = "error_type"
        case retryAfterMs = "retry_after_ms"
        case statusCode = "status_code"
    }
}
