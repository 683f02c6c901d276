import Common
import Foundation

/// How long the fake upstream waits before answering (before the first byte of a stream): a fixed
/// time or a distribution, drawn from a generator seeded with ``FakeLatency/seed`` so a run is
/// reproducible. A request's `x-fake-latency-ms` header wins.
///
/// Text form (`--latency`, `latency:` in a file): `200ms`, `fixed:200ms`, `uniform:100ms..300ms`,
/// `normal:200ms,50ms` (mean, standard deviation; draws below 0 are clamped to 0),
/// `exponential:200ms` (mean), `lognormal:200ms,0.5` (median, σ of the logarithm). Durations take
/// `us`, `ms` or `s`; a bare number is milliseconds.
public enum LatencyDistribution: Sendable, Hashable {
    case fixed(Duration)
    case uniform(min: Duration, max: Duration)
    case normal(mean: Duration, standardDeviation: Duration)
    case exponential(mean: Duration)
    case logNormal(median: Duration, sigma: Double)

    public static let zero = LatencyDistribution.fixed(.zero)

    public static let specHelp =
        "200ms, fixed:200ms, uniform:100ms..300ms, normal:MEAN,STDDEV, exponential:MEAN, lognormal:MEDIAN,SIGMA"

    /// One draw.
    func sample(_ random: inout SplitMix64) -> Duration {
        let milliseconds: Double
        switch self {
        case .fixed(let duration):
            return duration
        case .uniform(let low, let high):
            milliseconds = Self.ms(low) + (Self.ms(high) - Self.ms(low)) * random.nextUnit()
        case .normal(let mean, let deviation):
            milliseconds = max(0, Self.ms(mean) + Self.ms(deviation) * random.gaussian())
        case .exponential(let mean):
            milliseconds = -log(1 - random.nextUnit()) * Self.ms(mean)
        case .logNormal(let median, let sigma):
            milliseconds = Self.ms(median) * exp(sigma * random.gaussian())
        }
        return .microseconds(Int64((milliseconds * 1000).rounded()))
    }

    static func ms(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }

    /// `250ms`, `1.5s`, `800us`, `250` (milliseconds); nil when it is not a duration >= 0.
    static func duration(_ text: some StringProtocol) -> Duration? {
        let text = text.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(String, Double)] = [("ms", 1), ("us", 0.001), ("s", 1000)]
        var number = text
        var scale = 1.0
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            number = String(text.dropLast(suffix.count))
            scale = factor
            break
        }
        guard !number.hasPrefix("+"), let value = Double(number), value.isFinite, value >= 0 else { return nil }
        return .microseconds(Int64((value * scale * 1000).rounded()))
    }

    /// Parses the text form (see the type's documentation).
    public init(spec: String) throws(FakeConfigurationError) {
        let trimmed = spec.trimmingCharacters(in: .whitespaces)
        let parts = trimmed.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let kind = parts.count == 2 ? parts[0].lowercased() : "fixed"
        let argument = parts.count == 2 ? String(parts[1]) : trimmed
        func time(_ text: some StringProtocol, _ what: String) throws(FakeConfigurationError) -> Duration {
            guard let duration = Self.duration(text) else {
                throw FakeConfigurationError(
                    "latency '\(spec)': \(what) '\(text)' is not a duration >= 0 (like 200ms or 1.5s)")
            }
            return duration
        }
        func pair(_ separator: String, _ usage: String) throws(FakeConfigurationError) -> (String, String) {
            let halves = argument.components(separatedBy: separator)
            guard halves.count == 2 else { throw FakeConfigurationError("latency '\(spec)': expected \(usage)") }
            return (halves[0], halves[1])
        }
        switch kind {
        case "fixed":
            self = .fixed(try time(argument, "the time"))
        case "uniform":
            let (low, high) = try pair("..", "uniform:MIN..MAX, e.g. uniform:100ms..300ms")
            self = try Self.checked(.uniform(min: try time(low, "MIN"), max: try time(high, "MAX")), spec)
        case "normal":
            let (mean, deviation) = try pair(",", "normal:MEAN,STDDEV, e.g. normal:200ms,50ms")
            self = .normal(mean: try time(mean, "MEAN"), standardDeviation: try time(deviation, "STDDEV"))
        case "exponential":
            self = .exponential(mean: try time(argument, "MEAN"))
        case "lognormal", "log-normal":
            let (median, sigma) = try pair(",", "lognormal:MEDIAN,SIGMA, e.g. lognormal:200ms,0.5")
            guard let value = Double(sigma.trimmingCharacters(in: .whitespaces)), value.isFinite, value >= 0 else {
                throw FakeConfigurationError("latency '\(spec)': SIGMA '\(sigma)' is not a number >= 0")
            }
            self = .logNormal(median: try time(median, "MEDIAN"), sigma: value)
        default:
            throw FakeConfigurationError(
                "latency '\(spec)': unknown distribution '\(kind)' (expected \(Self.specHelp))")
        }
    }

    private static func checked(_ distribution: LatencyDistribution, _ spec: String) throws(FakeConfigurationError)
        -> LatencyDistribution
    {
        if case .uniform(let low, let high) = distribution, low > high {
            throw FakeConfigurationError("latency '\(spec)': MIN must not exceed MAX")
        }
        return distribution
    }

    /// The text form ``init(spec:)`` reads back.
    public var spec: String {
        func text(_ duration: Duration) -> String {
            let value = Self.ms(duration)
            return (value == value.rounded() ? String(Int64(value)) : String(value)) + "ms"
        }
        switch self {
        case .fixed(let duration): return "fixed:\(text(duration))"
        case .uniform(let low, let high): return "uniform:\(text(low))..\(text(high))"
        case .normal(let mean, let deviation): return "normal:\(text(mean)),\(text(deviation))"
        case .exponential(let mean): return "exponential:\(text(mean))"
        case .logNormal(let median, let sigma): return "lognormal:\(text(median)),\(sigma)"
        }
    }
}
