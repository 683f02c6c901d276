import Foundation
import KafkaTestSupport
import ProviderClient
import Signals
import Testing

/// A batch job beside interactive traffic on a provider with a rate limit: the batch lines are
/// sent with priority `batch`, so the agent keeps `rate_limit.batch_reserve` of the limit for
/// interactive requests, which are all answered while the batch runs; the job waits its refusals
/// out and still answers every line once. A job past its window ends `expired`, its lines never
/// run in the error file as `batch_expired`.
@Suite("Batch jobs: pace and expiry", .serialized, .timeLimit(.minutes(5)))
struct BatchPaceTests {
    @Test("interactive requests keep their reserve while a batch runs; a job past its window expires")
    func paceAndExpiry() async throws {
        let broker = try await TansuBroker.shared()
        let prefix = uniqueName("batch-pace") + "."
        let system = CLIProcesses(
            executable: GatewaySDKTests.binary("provider-agents"), bootstrapServers: broker.bootstrapServers,
            prefix: prefix)
        try await system.applyTopics()
        let calls = GatewaySDKTests.logFile("pace-calls")
        func start(_ arguments: [String], log name: String) throws -> (ChildProcess, String) {
            try system.start(arguments, log: name)
        }
        // 20 requests per second; batch lines may take half of them.
        let (agent, agentLog) = try start(
            [
                "agent", "--provider", "openai", "--instance-id", "pace-agent", "--test-latency-ms", "20",
                "--test-call-log", calls, "--set", "models=[gpt-4o-mini]", "--set",
                "rate_limit.requests_per_window=20", "--set", "rate_limit.window_ms=1000", "--set",
                "rate_limit.batch_reserve=0.5",
            ], log: "pace-agent")
        defer { agent.stop(grace: .seconds(20)) }
        let (router, routerLog) = try start(["router", "--instance-id", "pace-router"], log: "pace-router")
        defer { router.stop(grace: .seconds(20)) }
        let (runner, runnerLog) = try start(["batch", "runner", "--instance-id", "pace-r"], log: "pace-runner")
        defer { runner.stop(grace: .seconds(20)) }
        try await waitUntil("the agent, the router and the runner are up", timeout: .seconds(90)) {
            [agentLog, routerLog, runnerLog].allSatisfy { GatewaySDKTests.output($0).contains("worker started") }
        }

        var configuration = ProviderClientConfiguration(
            bootstrapServers: broker.bootstrapServers, clientID: "pace-client")
        configuration.topicPrefix = prefix
        let client = try ProviderClient(configuration: configuration)
        try await client.start()
        defer { Task { await client.shutdown() } }

        // 1. A 60-line job, and 20 interactive requests straight to the agent while it runs.
        let input = try Self.input(lines: 60, name: "pace-input")
        let started = ContinuousClock.now
        let (submit, submitLog) = try start(
            ["batch", "submit", input, "--wait", "--output", GatewaySDKTests.logFile("pace-output")],
            log: "pace-submit")
        defer { submit.stop() }
        try await waitUntil("the job runs", timeout: .seconds(60)) { BatchKillTests.callCount(calls) >= 5 }
        var refused: [String] = []
        for index in 0..<20 {
            let request = ProviderRequest(
                requestID: "interactive-\(index)", messages: [ChatMessage(role: .user, content: .text("now \(index)"))],
                model: "gpt-4o-mini")
            let answer = try await client.call(
                request, to: client.configuration.providerTopic("openai"), timeout: .seconds(10))
            if let error = answer.error { refused.append("\(index): \(error.errorType) \(error.error)") }
            try await Task.sleep(for: .milliseconds(150))
        }
        #expect(refused.isEmpty, "every interactive request is answered while the batch runs: \(refused)")
        try await waitUntil("the submit ends", timeout: .seconds(120)) { !submit.isRunning }
        let elapsed = ContinuousClock.now - started
        let log = GatewaySDKTests.output(submitLog)
        #expect(submit.exitCode == 0, "\(log)")
        #expect(log.contains("60/60 done, 0 failed"), "\(log)")
        // At 10 batch lines per second at most, 60 lines take at least 5 s.
        #expect(elapsed >= .seconds(5), "the batch kept to its part of the limit: \(elapsed)")
        #expect(
            GatewaySDKTests.output(runnerLog).contains("batch job yielded to interactive traffic"),
            "the job waited its refusals out")
        #expect(BatchKillTests.callCount(calls) == 80, "one provider call per line and per request")

        // 2. 60 lines in a 3-s window at 10 lines per second: the job expires part way.
        let late = try Self.input(lines: 60, name: "pace-late")
        let partial = GatewaySDKTests.logFile("pace-partial")
        let (expiring, expiringLog) = try start(
            ["batch", "submit", late, "--wait", "--window", "3", "--output", partial], log: "pace-expiring")
        defer { expiring.stop() }
        try await waitUntil("the expiring submit ends", timeout: .seconds(120)) { !expiring.isRunning }
        let expiringOutput = GatewaySDKTests.output(expiringLog)
        #expect(expiring.exitCode != 0, "an expired job is not a success: \(expiringOutput)")
        #expect(expiringOutput.contains("ended expired"), "\(expiringOutput)")
        let batchID = try #require(
            expiringOutput.split(separator: "\n").first { $0.hasPrefix("batch_") }.map(String.init))
        let (status, statusLog) = try start(["batch", "status", batchID], log: "pace-status")
        try await waitUntil("status answers", timeout: .seconds(60)) { !status.isRunning }
        let statusJSON = try #require(
            GatewaySDKTests.output(statusLog).split(separator: "\n").first { $0.hasPrefix("{") })
        let job = try #require(try JSONSerialization.jsonObject(with: Data(statusJSON.utf8)) as? [String: Any])
        #expect(job["status"] as? String == "expired")
        let counts = try #require(job["request_counts"] as? [String: Int])
        let completed = counts["completed"] ?? -1
        let failed = counts["failed"] ?? -1
        #expect(counts["total"] == 60 && completed + failed == 60, "\(counts)")
        #expect(completed > 0 && completed < 60, "part of the job ran: \(counts)")
        let answered = GatewaySDKTests.output(partial).split(separator: "\n")
        #expect(answered.count == completed, "the partial output holds the answered lines")
        let errorsFile = GatewaySDKTests.logFile("pace-errors")
        let (results, resultsLog) = try start(
            ["batch", "results", batchID, "--errors", "--output", errorsFile], log: "pace-results")
        try await waitUntil("results answers", timeout: .seconds(60)) { !results.isRunning }
        #expect(results.exitCode == 0, "\(GatewaySDKTests.output(resultsLog))")
        let errorLines = GatewaySDKTests.output(errorsFile).split(separator: "\n")
        #expect(errorLines.count == failed)
        #expect(errorLines.allSatisfy { $0.contains(#""code":"batch_expired""#) })
        #expect(BatchKillTests.callCount(calls) == 80 + completed, "no call for an expired line")
    }

    /// A JSONL file of `lines` chat lines for gpt-4o-mini.
    static func input(lines: Int, name: String) throws -> String {
        let text = (0..<lines).map { index in
            #"{"custom_id": "p-\#(index)", "method": "POST", "url": "/v1/chat/completions", "body": "#
                + #"{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "line \#(index)"}]}}"#
        }
        let path = GatewaySDKTests.logFile(name)
        try (text.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
