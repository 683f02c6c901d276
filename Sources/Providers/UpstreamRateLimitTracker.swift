import AgentCore
import Foundation
import NIOHTTP1
import Synchronization

/// The latest rate-limit figures an upstream reported, per model, read from the headers of every
/// answer (2xx or not). Shared by an adapter's calls.
final class UpstreamRateLimitTracker: Sendable {
    // Protected by the mutex.
    private let latest = Mutex<[String: UpstreamRateLimit]>([:])

    func record(
        model: String, headers: [String: String], at now: ContinuousClock.Instant = .now, wallNow: Date = Date()
    ) {
        guard let limit = Self.parse(headers, at: now, wallNow: wallNow) else { return }
        latest.withLock { $0[model] = limit }
    }

    func latest(model: String) -> UpstreamRateLimit? {
        latest.withLock { $0[model] }
    }

    /// The rate-limit headers among `headers` (any case), by lowercase name, the last of a repeated
    /// one winning — what ``parse(_:at:wallNow:)`` reads, without lowercasing every header of every
    /// answer.
    static func fields(of headers: HTTPHeaders) -> [String: String] {
        var fields: [String: String] = [:]
        for (name, value) in headers {
            guard let known = RateLimitHeaderName.canonical(name) else { continue }
            fields[known] = value
        }
        return fields
    }

    /// OpenAI's `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` (resets as `6ms`,
    /// `1m30s`) or Anthropic's `anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset}`
    /// (resets as RFC 3339 times); `nil` when there are none. Headers are lowercased.
    static func parse(_ headers: [String: String], at now: ContinuousClock.Instant, wallNow: Date) -> UpstreamRateLimit?
    {
        func int(_ name: String) -> Int? {
            guard let text = headers[name] else { return nil }
            // Without surrounding whitespace (the usual case) trimming would change nothing.
            if let value = Int(text) { return value }
            return Int(text.trimmingCharacters(in: .whitespaces))
        }
        if headers["x-ratelimit-remaining-requests"] != nil || headers["x-ratelimit-remaining-tokens"] != nil {
            return UpstreamRateLimit(
                limitRequests: int("x-ratelimit-limit-requests"),
                remainingRequests: int("x-ratelimit-remaining-requests"),
                requestsReset: headers["x-ratelimit-reset-requests"].flatMap(HTTPErrorMapping.parseResetDuration),
                limitTokens: int("x-ratelimit-limit-tokens"), remainingTokens: int("x-ratelimit-remaining-tokens"),
                tokensReset: headers["x-ratelimit-reset-tokens"].flatMap(HTTPErrorMapping.parseResetDuration),
                observedAt: now
            )
        }
        if headers["anthropic-ratelimit-requests-remaining"] != nil
            || headers["anthropic-ratelimit-tokens-remaining"] != nil
        {
            func reset(_ name: String) -> Duration? {
                guard let text = headers[name], let date = resetDate(text) else { return nil }
                return .milliseconds(Int64(max(0, date.timeIntervalSince(wallNow)) * 1000))
            }
            return UpstreamRateLimit(
                limitRequests: int("anthropic-ratelimit-requests-limit"),
                remainingRequests: int("anthropic-ratelimit-requests-remaining"),
                requestsReset: reset("anthropic-ratelimit-requests-reset"),
                limitTokens: int("anthropic-ratelimit-tokens-limit"),
                remainingTokens: int("anthropic-ratelimit-tokens-remaining"),
                tokensReset: reset("anthropic-ratelimit-tokens-reset"),
                observedAt: now
            )
        }
        return nil
    }

    /// An Anthropic reset time: `2026-11-27T08:00:12Z` (what Anthropic sends) read directly, any
    /// other RFC 3339 form by Foundation's ISO 8601 parser.
    static func resetDate(_ text: String) -> Date? {
        if let seconds = UTCSeconds.parse(text) { return Date(timeIntervalSince1970: Double(seconds)) }
        return try? Date(text.trimmingCharacters(in: .whitespaces), strategy: .iso8601)
    }
}
