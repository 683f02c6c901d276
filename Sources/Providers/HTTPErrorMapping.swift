import AgentCore
import Foundation

/// Maps an upstream's HTTP status (and headers) to the classified error agents publish. Shared by
/// the adapters; provider specifics (e.g. Anthropic's 529) are decided by the caller first.
enum HTTPErrorMapping {
    static func error(status: Int, message: String, headers: [String: String]) -> ProviderCallError {
        switch status {
        case 400, 413, 422:
            return .invalidRequest("upstream refused the request (\(status)): \(message)")
        case 401, 403:
            return ProviderCallError(
                type: .authentication, message: "upstream refused the credentials (\(status)): \(message)",
                retryable: false, breakerKind: .authentication)
        case 404:
            return ProviderCallError(
                type: .modelUnavailable, message: "upstream does not know it (404): \(message)", retryable: false)
        case 408:
            return .timeout("upstream timed out (408): \(message)")
        case 429:
            return .rateLimited("upstream rate limit (429): \(message)", retryAfter: retryAfter(headers))
        case 500...599:
            return ProviderCallError(
                type: .providerError, message: "upstream failed (\(status)): \(message)", retryable: true,
                retryAfter: retryAfter(headers), breakerKind: .upstreamServerError)
        default:
            return ProviderCallError(
                type: .providerError, message: "upstream answered \(status): \(message)", retryable: false,
                breakerKind: .other)
        }
    }

    /// `retry-after` (seconds, or an HTTP date), else the longest `x-ratelimit-reset-*`
    /// (`6ms`, `1s`, `1m30s`), else `retry-after-ms`.
    static func retryAfter(_ headers: [String: String]) -> Duration? {
        if let value = headers["retry-after-ms"], let milliseconds = Double(value), milliseconds >= 0 {
            return .milliseconds(Int64(milliseconds))
        }
        if let value = headers["retry-after"] {
            if let seconds = Double(value.trimmingCharacters(in: .whitespaces)), seconds >= 0 {
                return .milliseconds(Int64(seconds * 1000))
            }
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
            if let date = formatter.date(from: value) {
                return .milliseconds(Int64(max(0, date.timeIntervalSinceNow) * 1000))
            }
        }
        let resets = ["x-ratelimit-reset-requests", "x-ratelimit-reset-tokens"].compactMap {
            headers[$0].flatMap(parseResetDuration)
        }
        return resets.max()
    }

    /// OpenAI's reset format: `6ms`, `1s`, `1.5s`, `1m30s`, `2h0m0s`. Read byte by byte (it comes
    /// with every answer); anything but ASCII digits, `.` and the units is `nil`.
    static func parseResetDuration(_ text: String) -> Duration? {
        let bytes = Array(text.utf8)
        var total = 0.0
        var numberStart = 0
        var index = 0
        var parsedAny = false
        while index < bytes.count {
            let byte = bytes[index]
            if (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: ".") {
                index += 1
                continue
            }
            guard let value = Double(String(decoding: bytes[numberStart..<index], as: UTF8.self)) else { return nil }
            if byte == UInt8(ascii: "m"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "s") {
                total += value / 1000
                index += 2
            } else {
                switch byte {
                case UInt8(ascii: "h"): total += value * 3600
                case UInt8(ascii: "m"): total += value * 60
                case UInt8(ascii: "s"): total += value
                default: return nil
                }
                index += 1
            }
            numberStart = index
            parsedAny = true
        }
        guard parsedAny, numberStart == bytes.count else { return nil }
        return .milliseconds(Int64(total * 1000))
    }
}
