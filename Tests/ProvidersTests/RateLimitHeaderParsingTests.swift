import Foundation
import NIOHTTP1
import Testing

@testable import Providers

@Suite("Rate-limit header parsing without Foundation")
struct RateLimitHeaderParsingTests {
    @Test("header names match in any case; others are skipped; the last repeated one wins")
    func fieldsOfHeaders() {
        let headers = HTTPHeaders([
            ("Content-Type", "application/json"), ("X-RateLimit-Remaining-Requests", "9"),
            ("x-ratelimit-remaining-requests", "8"), ("ANTHROPIC-RATELIMIT-TOKENS-RESET", "2026-01-01T00:00:00Z"),
            ("x-ratelimit-remaining-requestz", "1"), ("retry-after", "3"), ("x", "y"), ("", ""),
        ])
        #expect(
            UpstreamRateLimitTracker.fields(of: headers) == [
                "x-ratelimit-remaining-requests": "8", "anthropic-ratelimit-tokens-reset": "2026-01-01T00:00:00Z",
            ])
        #expect(RateLimitHeaderName.all.count == 12)
        for name in RateLimitHeaderName.all {
            #expect(RateLimitHeaderName.canonical(name.uppercased()) == name)
        }
    }

    @Test("UTC reset times read directly agree with Foundation's ISO 8601 parser")
    func utcSecondsAgreeWithFoundation() throws {
        var samples = [
            "1970-01-01T00:00:00Z", "2000-02-29T23:59:59Z", "2024-02-29T12:00:00Z", "2026-11-27T08:00:12Z",
            "2100-03-01T00:00:00Z", "2399-12-31T23:59:59Z",
        ]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let date = Date(timeIntervalSince1970: Double(Int64.random(in: 0...9_000_000_000, using: &generator)))
            samples.append(date.ISO8601Format())
        }
        for text in samples {
            let expected = try Date(text, strategy: .iso8601)
            #expect(UTCSeconds.parse(text).map { Date(timeIntervalSince1970: Double($0)) } == expected, "\(text)")
        }
    }

    @Test("anything but the plain UTC form is left to Foundation")
    func utcSecondsRefuses() {
        for text in [
            "", "2026-11-27T08:00:12", "2026-11-27T08:00:12.5Z", "2026-11-27T08:00:12+01:00", " 2026-11-27T08:00:12Z",
            "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-01-01T24:00:00Z",
            "2026-01-01T00:60:00Z", "2026-01-01T00:00:60Z", "2026-00-01T00:00:00Z", "2026-01-00T00:00:00Z",
            "20x6-01-01T00:00:00Z", "2026/01/01T00:00:00Z", "2026-01-01t00:00:00z", "1969-12-31T23:59:59Z",
            "２０２６-01-01T00:00:00Z",
        ] {
            #expect(UTCSeconds.parse(text) == nil, "\(text)")
        }
        // Foundation still reads what the fast path leaves (offsets), and nothing reads garbage.
        let reset = Date(timeIntervalSince1970: 1_795_766_412)
        #expect(UpstreamRateLimitTracker.resetDate("2026-11-27T09:00:12+01:00") == reset)
        #expect(UpstreamRateLimitTracker.resetDate(" 2026-11-27T08:00:12Z ") == reset)
        #expect(UpstreamRateLimitTracker.resetDate("tomorrow") == nil)
    }

    @Test("OpenAI reset durations, well-formed and not")
    func resetDurations() {
        #expect(HTTPErrorMapping.parseResetDuration("6ms") == .milliseconds(6))
        #expect(HTTPErrorMapping.parseResetDuration("1m30s") == .seconds(90))
        #expect(HTTPErrorMapping.parseResetDuration("2h0m0s") == .seconds(7200))
        #expect(HTTPErrorMapping.parseResetDuration("0.5s") == .milliseconds(500))
        #expect(HTTPErrorMapping.parseResetDuration("1m500ms") == .milliseconds(60_500))
        for text in ["", "s", "5", "5x", "1..2s", "5s3", "1m 30s", "٣s", "5\u{301}s", "ms", "-1s", "1.5.s"] {
            #expect(HTTPErrorMapping.parseResetDuration(text) == nil, "\(text)")
        }
    }

    @Test("remaining counts with whitespace are still read")
    func paddedNumbers() throws {
        let limit = try #require(
            UpstreamRateLimitTracker.parse(
                ["x-ratelimit-remaining-requests": " 7 ", "x-ratelimit-limit-requests": "\t10"], at: .now,
                wallNow: Date()
            ))
        #expect(limit.remainingRequests == 7)
        #expect(limit.limitRequests == 10)
    }
}
