import Foundation
import KafkaTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A 1,000-line batch while the runner running it is SIGKILLed: `provider-agents batch submit
/// --wait` still ends with every `custom_id` answered once, and the provider was called exactly
/// 1,000 times — the successor continues from the recorded results, and a line that was in flight
/// at the kill is answered from the agent's ledger, not called again.
@Suite("Batch jobs: a runner killed mid-job", .serialized, .timeLimit(.minutes(5)))
struct BatchKillTests {
    @Test("every line answered once, the provider called once per line, across a runner's SIGKILL")
    func runnerKilled() async throws {
        let broker = try await TansuBroker.shared()
        let system = CLIProcesses(
            executable: GatewaySDKTests.binary("provider-agents"), bootstrapServers: broker.bootstrapServers,
            prefix: uniqueName("batch-kill") + ".")
        try await system.applyTopics()
        let calls = GatewaySDKTests.logFile("batch-calls")
        func start(_ arguments: [String], log name: String) throws -> (ChildProcess, String) {
            try system.start(arguments, log: name)
        }
        let (agent, agentLog) = try start(
            [
                "agent", "--provider", "openai", "--instance-id", "batch-agent", "--test-latency-ms", "30",
                "--test-call-log", calls, "--set", "models=[gpt-4o-mini]", "--set", "max_concurrent_calls=64",
            ], log: "batch-agent")
        defer { agent.stop(grace: .seconds(20)) }
        let (router, routerLog) = try start(["router", "--instance-id", "batch-router"], log: "batch-router")
        defer { router.stop(grace: .seconds(20)) }
        let runners = try (1...2).map { index in
            try start(["batch", "runner", "--instance-id", "r\(index)"], log: "batch-runner-\(index)")
        }
        defer { for runner in runners { runner.0.stop(grace: .seconds(20)) } }
        try await waitUntil("the agent, the router and the runners are up", timeout: .seconds(90)) {
            ([agentLog, routerLog] + runners.map(\.1)).allSatisfy {
                GatewaySDKTests.output($0).contains("worker started")
            }
        }

        let lines = (0..<1_000).map { index in
            #"{"custom_id": "c-\#(index)", "method": "POST", "url": "/v1/chat/completions", "body": "#
                + #"{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "line \#(index)"}]}}"#
        }
        let input = GatewaySDKTests.logFile("batch-input")
        try (lines.joined(separator: "\n") + "\n").write(toFile: input, atomically: true, encoding: .utf8)
        let output = GatewaySDKTests.logFile("batch-output")
        let (submit, submitLog) = try start(
            ["batch", "submit", input, "--wait", "--output", output], log: "batch-submit")
        defer { submit.stop() }

        // The runner running the job, SIGKILLed once a fifth of the lines reached the provider.
        try await waitUntil("the job runs and a fifth of it is called", timeout: .seconds(120)) {
            runners.contains { GatewaySDKTests.output($0.1).contains("batch job running") }
                && Self.callCount(calls) >= 200
        }
        let owner = try #require(runners.firstIndex { GatewaySDKTests.output($0.1).contains("batch job running") })
        runners[owner].0.send(SIGKILL)
        let killedAt = Self.callCount(calls)
        #expect(killedAt < 1_000, "the kill came before the end (\(killedAt) calls)")

        try await waitUntil("the submit ends", timeout: .seconds(200)) { !submit.isRunning }
        let log = GatewaySDKTests.output(submitLog)
        #expect(submit.exitCode == 0, "\(log)")
        #expect(log.contains("1000/1000 done, 0 failed"), "\(log)")
        let answered = GatewaySDKTests.output(output).split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
        let ids = answered.compactMap { $0["custom_id"] as? String }
        let expected = (0..<1_000).map { "c-\($0)" }
        let firstDifference = zip(ids, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(ids.count == 1_000, "every line once")
        #expect(firstDifference == nil, "in input order")
        #expect(
            answered.allSatisfy { ($0["response"] as? [String: Any])?["status_code"] as? Int == 200 },
            "every line answered")
        let survivor = runners[1 - owner].1
        #expect(GatewaySDKTests.output(survivor).contains("batch job running"), "the other runner continued the job")
        #expect(Self.callCount(calls) == 1_000, "one provider call per line: \(Self.callCount(calls))")
    }

    /// Calls that reached the provider (the test backend's call log: a line per call, and one
    /// more marked `done` when it ends).
    static func callCount(_ path: String) -> Int {
        GatewaySDKTests.output(path).split(separator: "\n").filter { !$0.hasSuffix(" done") }.count
    }
}
