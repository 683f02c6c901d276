/// How a request ranks when a provider is busy (`provider_request.priority`).
///
/// `interactive` (the default, also when absent) may use a provider's whole rate limit and every
/// call slot. `batch` (what batch runners send) is admitted only while a reserve of both stays
/// free for interactive requests; refused, it is told when to try again (`rate_limited` or
/// `overloaded`, retryable, with `retry_after_ms`).
public enum RequestPriority: String, Sendable, Hashable, Codable, CaseIterable {
    case interactive
    case batch
}
