import Histogram

/// p50 / p99 / max of a latency distribution, in milliseconds.
struct LatencySummary: Sendable {
    var p50: Double
    var p99: Double
    var max: Double
    var count: UInt64
}

/// Records durations at microsecond resolution (3 significant digits) in an HDR histogram.
struct LatencyRecorder: Sendable {
    /// Ten minutes in microseconds; longer values are clamped (no phase runs that long).
    private static let highestMicroseconds: UInt64 = 600_000_000
    private var histogram = Histogram<UInt64>(
        lowestDiscernibleValue: 1, highestTrackableValue: highestMicroseconds, numberOfSignificantValueDigits: .three
    )

    mutating func record(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let microseconds = max(1, seconds * 1_000_000 + attoseconds / 1_000_000_000_000)
        histogram.record(min(UInt64(microseconds), Self.highestMicroseconds))
    }

    var count: UInt64 { histogram.totalCount }

    /// Adds what `other` recorded.
    mutating func merge(_ other: LatencyRecorder) {
        histogram.add(other.histogram)
    }

    /// `nil` when nothing was recorded.
    var summary: LatencySummary? {
        guard histogram.totalCount > 0 else { return nil }
        return LatencySummary(
            p50: Double(histogram.valueAtPercentile(50)) / 1000,
            p99: Double(histogram.valueAtPercentile(99)) / 1000,
            max: Double(histogram.max) / 1000,
            count: histogram.totalCount
        )
    }
}
