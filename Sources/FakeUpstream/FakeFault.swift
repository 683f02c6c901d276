/// A fault the fake upstream can inject: asked per request (`x-fake-fault`), or scripted by a
/// ``FaultScript``. Raw values are the names used in headers, files and `/fake/faults`.
public enum FakeFault: String, Sendable, Hashable, CaseIterable, Codable {
    /// 429 with `retry-after` (the configured seconds) and the provider's rate-limit error.
    case tooManyRequests = "429"
    /// 500, the provider's server error.
    case serverError = "500"
    /// 503, service unavailable.
    case unavailable = "503"
    /// 529 `overloaded_error` (Anthropic; the others answer 503).
    case overloaded = "529"
    /// A 200 whose body is not JSON.
    case malformed
    /// A stream whose connection ends halfway.
    case cut
    /// 2 s before the first byte of a stream.
    case slowFirstByte = "slow-first-byte"
    /// A well-formed answer whose finish / stop / done reason is one no client knows.
    case unknownFinishReason = "unknown-finish-reason"
    /// No answer at all until the configured hang time has passed (the client gives up first).
    case timeout

    /// The names, for error messages and help texts.
    public static let names = allCases.map(\.rawValue).joined(separator: ", ")

    /// The finish reason an `unknown-finish-reason` answer carries.
    static let unknownReason = "fake_unknown_reason"

    /// The provider-neutral HTTP error this fault answers with, if it is one; each route renders it
    /// in its provider's error shape.
    var httpError: HTTPErrorKind? {
        switch self {
        case .tooManyRequests: .rateLimited
        case .serverError: .serverError
        case .unavailable: .unavailable
        case .overloaded: .overloaded
        case .malformed, .cut, .slowFirstByte, .unknownFinishReason, .timeout: nil
        }
    }

    /// An error answer, independent of the provider's wire format.
    enum HTTPErrorKind: Sendable {
        case rateLimited, serverError, unavailable, overloaded
    }
}
