import Histogram

/// Latency distribution (HDR histogram, microsecond resolution, 3 significant digits, up to 1 h).
public struct LatencyHistogram: Sendable {
    private static let highestMicroseconds: UInt64 = 3_600_000_000
    private var histogram = Histogram<UInt64>(
        lowestDiscernibleValue: 1, highestTrackableValue: highestMicroseconds, numberOfSignificantValueDigits: .three
    )

    public init() {}

    public mutating func record(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let microseconds = Swift.max(1, seconds * 1_000_000 + attoseconds / 1_000_000_000_000)
        _ = histogram.record(Swift.min(UInt64(microseconds), Self.highestMicroseconds))
    }

    public var count: UInt64 { histogram.totalCount }

    /// Percentiles in milliseconds; zeros when nothing was recorded.
    public var summary: LatencySummary {
        guard histogram.totalCount > 0 else { return LatencySummary(count: 0, p50: 0, p90: 0, p99: 0, max: 0) }
        func milliseconds(_ microseconds: UInt64) -> Double { Double(microseconds) / 1000 }
        return LatencySummary(
            count: histogram.totalCount,
            p50: milliseconds(histogram.valueAtPercentile(50)),
            p90: milliseconds(histogram.valueAtPercentile(90)),
            p99: milliseconds(histogram.valueAtPercentile(99)),
            max: milliseconds(histogram.max)
        )
    }
}

/// Latency percentiles in milliseconds (as published in `provider_status`).
public struct LatencySummary: Sendable, Hashable, Codable {
    public var count: UInt64
    public var p50: Double
    public var p90: Double
    public var p99: Double
    public var max: Double

    enum CodingKeys: String, CodingKey {
        case count
        case p50 = "p50_ms"
        case p90 = "p90_ms"
        case p99 = "p99_ms"
        case max = "max_ms"
    }
}
