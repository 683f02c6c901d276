import Common
import Foundation
import Testing

@testable import FakeUpstream

@Suite("Fake upstream: latency distributions")
struct LatencyDistributionTests {
    /// `count` draws in milliseconds.
    static func samples(_ distribution: LatencyDistribution, seed: UInt64 = 1, count: Int = 20_000) -> [Double] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { _ in LatencyDistribution.ms(distribution.sample(&random)) }
    }

    static func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }

    static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    static func standardDeviation(_ values: [Double]) -> Double {
        let mean = mean(values)
        return (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)).squareRoot()
    }

    @Test("the same seed draws the same latencies, another seed others")
    func deterministic() {
        let distribution = LatencyDistribution.exponential(mean: .milliseconds(100))
        #expect(Self.samples(distribution, seed: 5, count: 100) == Self.samples(distribution, seed: 5, count: 100))
        #expect(Self.samples(distribution, seed: 5, count: 100) != Self.samples(distribution, seed: 6, count: 100))
    }

    @Test("fixed and uniform: within bounds, mean in the middle")
    func uniform() throws {
        #expect(Set(Self.samples(.fixed(.milliseconds(250)), count: 10)) == [250])
        let values = Self.samples(.uniform(min: .milliseconds(100), max: .milliseconds(300)))
        let (low, high) = (try #require(values.min()), try #require(values.max()))
        #expect(low >= 100 && high <= 300)
        #expect(low < 102 && high > 298, "the whole range is used")
        #expect(abs(Self.mean(values) - 200) < 2)
    }

    @Test("normal: mean and standard deviation as asked; clamped at 0")
    func normal() throws {
        let values = Self.samples(.normal(mean: .milliseconds(200), standardDeviation: .milliseconds(50)))
        #expect(abs(Self.mean(values) - 200) < 2, "mean \(Self.mean(values))")
        #expect(abs(Self.standardDeviation(values) - 50) < 2, "stddev \(Self.standardDeviation(values))")
        let wide = Self.samples(.normal(mean: .milliseconds(10), standardDeviation: .milliseconds(50)))
        #expect(try #require(wide.min()) == 0, "draws below 0 are clamped to 0")
        #expect(wide.filter { $0 == 0 }.count > 8_000, "about 42% of the draws are below 0")
    }

    @Test("exponential: mean as asked, standard deviation equal to it; log-normal: median as asked")
    func tails() throws {
        let exponential = Self.samples(.exponential(mean: .milliseconds(100)))
        #expect(abs(Self.mean(exponential) - 100) < 3, "mean \(Self.mean(exponential))")
        #expect(abs(Self.standardDeviation(exponential) - 100) < 5)
        #expect(try #require(exponential.min()) >= 0)
        let logNormal = Self.samples(.logNormal(median: .milliseconds(200), sigma: 0.5))
        #expect(abs(Self.median(logNormal) - 200) < 6, "median \(Self.median(logNormal))")
        // The mean of a log-normal is median × e^(σ²/2).
        #expect(abs(Self.mean(logNormal) - 200 * exp(0.125)) < 5)
    }

    @Test("specs: every form reads back from its description; bad specs name the problem")
    func specs() throws {
        let cases: [(String, LatencyDistribution)] = [
            ("200ms", .fixed(.milliseconds(200))),
            ("250", .fixed(.milliseconds(250))),
            ("1.5s", .fixed(.milliseconds(1500))),
            ("uniform:100ms..300ms", .uniform(min: .milliseconds(100), max: .milliseconds(300))),
            ("normal:200ms,50ms", .normal(mean: .milliseconds(200), standardDeviation: .milliseconds(50))),
            ("exponential:80ms", .exponential(mean: .milliseconds(80))),
            ("lognormal:200ms,0.5", .logNormal(median: .milliseconds(200), sigma: 0.5)),
        ]
        for (spec, expected) in cases {
            let parsed = try LatencyDistribution(spec: spec)
            #expect(parsed == expected, "\(spec)")
            #expect(try LatencyDistribution(spec: parsed.spec) == expected)
        }
        for (spec, expected) in [
            ("uniform:300ms..100ms", "MIN must not exceed MAX"),
            ("uniform:100ms-300ms", "expected uniform:MIN..MAX"),
            ("normal:abc,1ms", "MEAN 'abc' is not a duration"),
            ("-5ms", "is not a duration >= 0"),
            ("pareto:1ms", "unknown distribution 'pareto'"),
            ("lognormal:1ms,x", "SIGMA 'x' is not a number"),
        ] {
            do {
                _ = try LatencyDistribution(spec: spec)
                Issue.record("\(spec) should be refused")
            } catch {
                #expect(error.message.contains(expected), "\(error.message)")
            }
        }
    }
}
