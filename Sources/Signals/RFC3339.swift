public import Foundation

/// RFC 3339 date-times as signals carry them (`time`, `expires_at`, route deadlines).
public enum RFC3339 {
    /// Parses `2026-11-27T08:00:00Z` or `2026-11-27T08:00:00.123+01:00`; `nil` when it is not one.
    public static func date(from text: String) -> Date? {
        if let date = try? withFraction.parse(text) { return date }
        return try? plain.parse(text)
    }

    /// UTC with milliseconds: `2026-11-27T08:00:00.123Z`.
    public static func string(from date: Date) -> String {
        withFraction.format(date)
    }

    // Value types, configured once and only read afterwards.
    private static let withFraction = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    private static let plain = Date.ISO8601FormatStyle()
}
