/// `provider_error.error_type`. An open set: unknown values decode and round-trip.
public struct ProviderErrorType: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }

    public var description: String { rawValue }

    /// The request could not be decoded or is not valid (never retryable).
    public static let invalidRequest = ProviderErrorType("invalid_request")
    /// Rejected by the provider's rate limit (retryable after `retry_after_ms`).
    public static let rateLimited = ProviderErrorType("rate_limited")
    /// Rejected because the circuit breaker is open (retryable).
    public static let circuitOpen = ProviderErrorType("circuit_open")
    /// Too many requests in flight on this instance (retryable).
    public static let overloaded = ProviderErrorType("overloaded")
    /// `expires_at` / `timeout_ms` passed before the call.
    public static let deadlineExceeded = ProviderErrorType("deadline_exceeded")
    /// The upstream call timed out (retryable).
    public static let timeout = ProviderErrorType("timeout")
    /// The requested model is not available (or not loaded).
    public static let modelUnavailable = ProviderErrorType("model_unavailable")
    /// The signal or feature is not supported by this provider.
    public static let unsupported = ProviderErrorType("unsupported")
    /// Upstream rejected the credentials.
    public static let authentication = ProviderErrorType("authentication")
    /// Upstream refused the content (safety / content filter).
    public static let contentFiltered = ProviderErrorType("content_filtered")
    /// Refused by this provider's safety settings (`configure_safety`: blocked terms, content
    /// filtering), on the way in or out; not retryable with the same content.
    public static let contentBlocked = ProviderErrorType("content_blocked")
    /// The local machine is above a configured CPU / memory / GPU threshold (retryable).
    public static let resourceConstrained = ProviderErrorType("resource_constrained")
    /// The prompt (estimated) plus `max_tokens` does not fit the model's context window; a router
    /// may fall back to a model with a larger one.
    public static let contextLengthExceeded = ProviderErrorType("context_length_exceeded")
    /// Upstream answered with an error (5xx, malformed answer, connection failure).
    public static let providerError = ProviderErrorType("provider_error")
}
