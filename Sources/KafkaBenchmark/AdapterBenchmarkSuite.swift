import AsyncHTTPClient
import Foundation
import KafkaTestSupport
import Providers

/// The agent benchmark with each real adapter (OpenAI, Anthropic, Ollama wire formats over HTTP)
/// against the fake upstream in its own process, at 0 ms and a slow upstream latency, beside the
/// in-process test provider under the same load: what the HTTP round trip, the JSON of each wire
/// format and the connection handling add per request.
struct AdapterBenchmarkSuite {
    struct Plan: Sendable {
        var requests: Int
        var inFlight: Int
        var slowRequests: Int
        var slowLatency: Duration
        var slowInFlight: Int
        var backends: [BenchBackend]
    }

    let context: BenchmarkContext
    let plan: Plan
    private(set) var rows: [AgentResultRow] = []
    private(set) var notes: [String] = []

    init(context: BenchmarkContext, plan: Plan) {
        self.context = context
        self.plan = plan
    }

    mutating func run() async throws {
        let upstream = try await Self.startFakeUpstream()
        defer { upstream.process.stop() }
        // As the agent command does: one client per process, a pool as large as the calls in flight
        // (HTTP/1.1 to the fake upstream: one connection per call).
        let client = HTTPClientSettings(maxConnectionsPerHost: max(plan.inFlight, plan.slowInFlight) + 64).makeClient()
        do {
            for latency in [Duration.zero, plan.slowLatency] {
                for backend in [BenchBackend.test] + plan.backends {
                    let slow = latency > .zero
                    var scenario = AgentScenario(context: context)
                    scenario.upstreamURL = upstream.baseURL
                    scenario.httpClient = client
                    let outcome = try await scenario.run(
                        .init(
                            latency: latency, requests: slow ? plan.slowRequests : plan.requests,
                            maxInFlight: slow ? plan.slowInFlight : plan.inFlight,
                            maxConcurrentCalls: slow ? plan.slowInFlight : plan.inFlight,
                            backend: backend
                        ))
                    let row = AgentResultRow(outcome, memory: slow)
                    rows.append(row)
                    var line = "  -> \(outcome.setup.label): "
                    if let rate = row.rate { line += "\(ResultTable.grouped(Int(rate.rounded()))) req/s" }
                    if let cpu = row.cpuMicroseconds { line += String(format: ", %.1f µs CPU/req", cpu) }
                    if let peak = row.peakCalls { line += ", peak \(ResultTable.grouped(peak)) calls" }
                    progress(line)
                    let expected = outcome.warmup + outcome.setup.requests
                    if outcome.providerCalls != expected {
                        notes.append(
                            """
                            \(outcome.setup.label): the provider was called \(outcome.providerCalls) times for \
                            \(expected) requests
                            """
                        )
                    }
                }
            }
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
        if let usage = upstream.process.cpuSeconds {
            notes.append(String(format: "fake upstream process: %.1f s CPU over the suite", usage))
        }
    }

    /// `fake-upstream` (built next to this executable) on a free loopback port, with `arguments`
    /// after `--port` (e.g. `--latency-ms 100`).
    static func startFakeUpstream(arguments: [String] = []) async throws -> (process: ChildProcess, baseURL: String) {
        let executable = try siblingExecutable("fake-upstream")
        let port = try freeLoopbackPort()
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("bench-fake-upstream-\(port).log").path
        let process = try ChildProcess(
            executable: executable, arguments: ["--port", "\(port)"] + arguments, logFile: log)
        do {
            try await waitUntil("the fake upstream listens", timeout: .seconds(20)) {
                ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("listening:")
            }
        } catch {
            process.stop()
            throw error
        }
        return (process, "http://127.0.0.1:\(port)")
    }
}
