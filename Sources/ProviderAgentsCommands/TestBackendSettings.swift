public import AgentCore
public import Common
import Foundation

/// Settings of the `test` backend (AgentCore's deterministic `TestProvider`): latency
/// distribution, simulated failure rates, seed. Every field is optional so the command line can
/// override the file field by field; ``providerConfiguration(name:models:)`` fills the defaults
/// (latency `fixed:0`, no failures, seed 42).
public struct TestBackendSettings: Sendable, Hashable {
    public var latency: TestProvider.Latency?
    public var serverErrorRate: Double?
    public var timeoutRate: Double?
    public var rateLimitedRate: Double?
    public var seed: UInt64?

    public init(
        latency: TestProvider.Latency? = nil, serverErrorRate: Double? = nil, timeoutRate: Double? = nil,
        rateLimitedRate: Double? = nil, seed: UInt64? = nil
    ) {
        self.latency = latency
        self.serverErrorRate = serverErrorRate
        self.timeoutRate = timeoutRate
        self.rateLimitedRate = rateLimitedRate
        self.seed = seed
    }

    public static let defaultSeed: UInt64 = 42

    var isEmpty: Bool { self == TestBackendSettings() }

    /// `self` with every field `overrides` sets replacing this one's.
    func overlaid(with overrides: TestBackendSettings) -> TestBackendSettings {
        TestBackendSettings(
            latency: overrides.latency ?? latency,
            serverErrorRate: overrides.serverErrorRate ?? serverErrorRate,
            timeoutRate: overrides.timeoutRate ?? timeoutRate,
            rateLimitedRate: overrides.rateLimitedRate ?? rateLimitedRate,
            seed: overrides.seed ?? seed
        )
    }

    /// The `TestProvider` configuration: `name` is the provider name, `models` its model ids.
    public func providerConfiguration(name: String, models: [String]) -> TestProvider.Configuration {
        TestProvider.Configuration(
            name: name,
            models: models.map { ModelInfo(id: $0, contextWindow: 128_000, features: [.chat, .streaming, .tools]) },
            latency: latency ?? .fixed(.zero),
            failures: TestProvider.Failures(
                serverError: serverErrorRate ?? 0, timeout: timeoutRate ?? 0, rateLimited: rateLimitedRate ?? 0),
            seed: seed ?? Self.defaultSeed
        )
    }

    /// The three failure rates must add up to at most 1 (they are drawn from one number per call).
    var failureRateSum: Double { (serverErrorRate ?? 0) + (timeoutRate ?? 0) + (rateLimitedRate ?? 0) }

    /// The rules of the test backend, whatever set it: each failure rate between 0 and 1, and
    /// the three together at most 1. Fields under `test`.
    public func validate() throws(InvalidSetting) {
        if let rate = serverErrorRate { try SettingRule.share(rate, at: ["test", "server_error_rate"]) }
        if let rate = timeoutRate { try SettingRule.share(rate, at: ["test", "timeout_rate"]) }
        if let rate = rateLimitedRate { try SettingRule.share(rate, at: ["test", "rate_limited_rate"]) }
        guard failureRateSum <= 1 else {
            throw InvalidSetting(
                ["test"], "server_error_rate + timeout_rate + rate_limited_rate must be <= 1, got \(failureRateSum)"
            )
        }
    }

    /// A seed as written (an integer): at least 0.
    public static func seed(_ value: Int) throws(InvalidSetting) -> UInt64 {
        try SettingRule.atLeast(value, 0, at: ["test", "seed"])
        return UInt64(value)
    }

    /// `fixed:MS` from a number of milliseconds (`--test-latency-ms`): at least 0.
    public static func fixedLatency(milliseconds: Double) throws(InvalidSetting) -> TestProvider.Latency {
        try SettingRule.nonNegative(milliseconds, at: ["test", "latency"])
        return .fixed(.microseconds(Int64((milliseconds * 1000).rounded())))
    }

    // MARK: Latency specs

    static let latencySpecHelp = "fixed:MS, uniform:MIN-MAX or exponential:MEAN (milliseconds, e.g. uniform:20-200)"

    /// Parses `fixed:MS`, `uniform:MIN-MAX` or `exponential:MEAN` (milliseconds, decimals allowed;
    /// a bare number means `fixed`); a spec that is none of these is an error at `test.latency`.
    public static func parseLatency(_ spec: String) throws(InvalidSetting) -> TestProvider.Latency {
        let text = spec.trimmingCharacters(in: .whitespaces)
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let kind = parts.count == 2 ? parts[0].lowercased() : "fixed"
        let argument = String(parts.count == 2 ? parts[1] : parts[0])
        func milliseconds(_ text: some StringProtocol) throws(InvalidSetting) -> Duration {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            guard let value = Double(trimmed), value.isFinite, value >= 0, !trimmed.hasPrefix("+") else {
                throw InvalidSetting(
                    ["test", "latency"],
                    "'\(spec)': '\(trimmed)' is not a number of milliseconds >= 0 (expected \(latencySpecHelp))"
                )
            }
            return .microseconds(Int64((value * 1000).rounded()))
        }
        switch kind {
        case "fixed":
            return .fixed(try milliseconds(argument))
        case "uniform":
            let bounds = argument.split(separator: "-", omittingEmptySubsequences: false)
            guard bounds.count == 2 else {
                throw InvalidSetting(
                    ["test", "latency"], "'\(spec)': uniform needs MIN-MAX in milliseconds, e.g. uniform:20-200"
                )
            }
            let low = try milliseconds(bounds[0])
            let high = try milliseconds(bounds[1])
            guard low <= high else { throw InvalidSetting(["test", "latency"], "'\(spec)': MIN must not exceed MAX") }
            return .uniform(low, high)
        case "exponential":
            return .exponential(mean: try milliseconds(argument))
        default:
            throw InvalidSetting(
                ["test", "latency"], "'\(spec)': unknown distribution '\(kind)' (expected \(latencySpecHelp))"
            )
        }
    }

    /// The spec that ``parseLatency(_:)`` reads back (for logs).
    static func describe(_ latency: TestProvider.Latency) -> String {
        func ms(_ duration: Duration) -> String {
            let (seconds, attoseconds) = duration.components
            let value = Double(seconds) * 1000 + Double(attoseconds) / 1e15
            return value == value.rounded() ? String(Int64(value)) : String(value)
        }
        switch latency {
        case .fixed(let duration): return "fixed:\(ms(duration))"
        case .uniform(let low, let high): return "uniform:\(ms(low))-\(ms(high))"
        case .exponential(let mean): return "exponential:\(ms(mean))"
        }
    }
}
