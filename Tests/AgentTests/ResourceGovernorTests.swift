import AgentCore
import Foundation
import Testing

@testable import Agent

/// The agent's resource governor on samples from files it is pointed at (no broker): refusals
/// follow the last sample, the concurrency limit follows the load, and a limit set by a control
/// signal becomes the base the load shrinks from.
@Suite("resource governor: refusal and concurrency following the load")
struct ResourceGovernorTests {
    static func meminfo(usedPercent: Int) -> String {
        "MemTotal: 1000 kB\nMemAvailable: \(1000 - usedPercent * 10) kB\n"
    }

    @Test func theLimitFollowsTheLoadAndAControlSignalsLimitBecomesTheBase() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("meminfo-\(UUID().uuidString)").path
        try Self.meminfo(usedPercent: 10).write(toFile: path, atomically: true, encoding: .utf8)
        let monitor = ResourceMonitor(sources: .init(procStat: "/nonexistent", meminfo: path, nvidiaSmi: nil))
        let governor = ResourceGovernor(
            policy: ResourcePolicy(maxMemoryPercent: 90, softMemoryPercent: 50), configuredLimit: 41, monitor: monitor)
        var limiter = ConcurrencyLimiter(limit: 41)
        #expect(governor.refusal() == nil, "nothing sampled yet")

        await monitor.refresh()
        #expect(governor.applyLimit(to: &limiter) == 41)
        try Self.meminfo(usedPercent: 70).write(toFile: path, atomically: true, encoding: .utf8)
        await monitor.refresh()
        #expect(
            governor.applyLimit(to: &limiter) == 21 && limiter.limit == 21, "halfway between 50 % and 90 %: 41 → 21")
        #expect(governor.refusal() == nil)

        // A control signal sets 81: the new base, halved by the same load.
        limiter.setLimit(81)
        #expect(governor.applyLimit(to: &limiter) == 41)

        try Self.meminfo(usedPercent: 95).write(toFile: path, atomically: true, encoding: .utf8)
        await monitor.refresh()
        #expect(governor.refusal()?.type == .resourceConstrained)
        #expect(governor.applyLimit(to: &limiter) == 1)

        try Self.meminfo(usedPercent: 20).write(toFile: path, atomically: true, encoding: .utf8)
        await monitor.refresh()
        #expect(governor.refusal() == nil)
        #expect(governor.applyLimit(to: &limiter) == 81, "recovered to the control signal's limit")
    }
}
