import Agent
import AgentCore
import AsyncHTTPClient
import Foundation
import Kafka
import KafkaTestSupport
import NIOCore
import NIOHTTP1
import ProviderClient
import Providers
import RouterAgent
import Signals
import Synchronization

/// The HTTP gateway against calling the fake upstream directly, in the same run: an OpenAI chat
/// completion over HTTP to the fake upstream, then the same through the gateway (a
/// `provider-agents gateway` process) to the router and an `openai` agent (in this process) whose
/// adapter calls the same fake upstream, and through the gateway straight to the agent
/// (`openai/<model>`). Latency one request at a time, throughput at 16 and 64 at once, and the
/// gateway process's memory per open request while the upstream takes its time.
struct GatewaySuite {
    struct Plan: Sendable {
        var sequential: Int
        var concurrent: Int
        var concurrencies: [Int]
        var openRequests: Int
        var batchLines: Int
        var profile: LatencyProfile
    }

    struct Row: Sendable {
        var path: String
        var concurrency: Int
        var requests: Int
        var rate: Double
        var latency: LatencySummary
    }

    /// Issue 13's targets on this machine.
    enum Target {
        static let addedP50Milliseconds = 3.0
        static let rateAt16 = 1_000.0
    }

    static let model = "gpt-4o-mini"

    let context: BenchmarkContext
    let plan: Plan
    private(set) var rows: [Row] = []
    private(set) var targets: [String] = []
    private(set) var notes: [String] = []

    init(context: BenchmarkContext, plan: Plan) {
        self.context = context
        self.plan = plan
    }

    mutating func run() async throws {
        let upstream = try await AdapterBenchmarkSuite.startFakeUpstream()
        defer { upstream.process.stop() }
        let http = HTTPClientSettings(maxConnectionsPerHost: plan.openRequests + 128).makeClient()
        do {
            try await run(upstream: upstream.baseURL, http: http)
        } catch {
            try? await http.shutdown()
            throw error
        }
        try await http.shutdown()
    }

    private mutating func run(upstream: String, http: HTTPClient) async throws {
        let prefix = uniqueName("bench-gateway") + "."
        var agentConfiguration = ProviderAgentConfiguration(
            provider: "openai", instanceID: "bench-gateway-agent", bootstrapServers: context.bootstrapServers,
            topicPrefix: prefix, maxInFlight: 2_048, maxConcurrentCalls: 2_048, models: [Self.model],
            defaultModel: Self.model, sessionTimeout: .seconds(6))
        agentConfiguration.statusInterval = .milliseconds(500)
        agentConfiguration.latency = plan.profile
        var routerConfiguration = LLMRouterConfiguration(
            instanceID: "bench-gateway-router", bootstrapServers: context.bootstrapServers, topicPrefix: prefix,
            sessionTimeout: .seconds(6))
        routerConfiguration.latency = plan.profile
        let partitions = context.partitions
        try await context.createTopics(
            agent: agentConfiguration, router: routerConfiguration,
            extra: [
                KafkaTopicSpec(name: agentConfiguration.topics.gatewayStatus, partitions: 1),
                KafkaTopicSpec(name: agentConfiguration.topics.batchFiles, partitions: 3),
                KafkaTopicSpec(name: agentConfiguration.topics.batchChunks, partitions: partitions),
                KafkaTopicSpec(name: agentConfiguration.topics.batchJobs, partitions: 3),
                KafkaTopicSpec(name: agentConfiguration.topics.batchWork, partitions: partitions),
                KafkaTopicSpec(name: agentConfiguration.topics.batchResults, partitions: partitions),
            ])
        let provider = OpenAIProvider(
            name: "openai",
            configuration: HTTPProviderConfiguration(
                baseURL: upstream, apiKey: "sk-bench", requestTimeout: .seconds(60),
                models: [ModelInfo(id: Self.model, contextWindow: 128_000, features: [.chat, .streaming])]),
            client: http)
        let agent = try ProviderAgent(configuration: agentConfiguration, provider: provider, logger: context.logger)
        let router = try LLMRouter(configuration: routerConfiguration, logger: context.logger)
        let agentTask = Task { try await agent.run() }
        let routerTask = Task { try await router.run() }
        let port = try freeLoopbackPort()
        let gatewayLog = FileManager.default.temporaryDirectory.appendingPathComponent(
            "bench-gateway-\(port).log"
        ).path
        let gateway = try ChildProcess(
            executable: try siblingExecutable("provider-agents"),
            arguments: [
                "gateway", "--bootstrap", context.bootstrapServers, "--topic-prefix", prefix, "--listen",
                "127.0.0.1:\(port)", "--instance-id", "bench", "--latency-profile", plan.profile.name,
                "--log-level", "warning",
            ],
            logFile: gatewayLog)
        defer {
            gateway.stop()
            agent.shutdown()
            router.shutdown()
        }
        let base = "http://127.0.0.1:\(port)"
        try await waitUntil("the gateway lists \(Self.model)", timeout: context.phaseTimeout) {
            guard let (status, body) = try? await Self.send(http, "\(base)/v1/models", body: nil), status == 200
            else { return false }
            return String(buffer: body).contains("\"openai/\(Self.model)\"")
                && router.assignedPartitions > 0 && !(agent.currentStatus.ownedPartitions ?? []).isEmpty
        }
        // The Kafka path without HTTP, for comparison: a ProviderClient in this process calling the agent.
        var clientConfiguration = ProviderClientConfiguration(
            bootstrapServers: context.bootstrapServers, clientID: "bench-gateway-client")
        clientConfiguration.topicPrefix = prefix
        clientConfiguration.apply(plan.profile)
        let client = try ProviderClient(configuration: clientConfiguration)
        try await client.start()
        let agentTopic = client.configuration.providerTopic("openai")
        let paths: [(String, @Sendable () async throws -> Void)] = [
            ("upstream, direct", { try await Self.chat(http, "\(upstream)/v1/chat/completions", Self.model) }),
            ("client → agent (no HTTP)", { try await Self.call(client, agentTopic) }),
            ("gateway → router → agent", { try await Self.chat(http, "\(base)/v1/chat/completions", Self.model) }),
            ("gateway → agent", { try await Self.chat(http, "\(base)/v1/chat/completions", "openai/\(Self.model)") }),
        ]
        for (name, one) in paths {
            progress("gateway: \(name)")
            _ = try await measure(count: 100, concurrency: 8, name: name, one)
            rows.append(try await measure(count: plan.sequential, concurrency: 1, name: name, one))
            for concurrency in plan.concurrencies {
                rows.append(try await measure(count: plan.concurrent, concurrency: concurrency, name: name, one))
            }
        }
        await client.shutdown()
        try await memory(http, upstream: upstream, base: base, gateway: gateway)
        try await batch(http, base: base)
        judge()
        agent.shutdown()
        router.shutdown()
        _ = await agentTask.result
        _ = await routerTask.result
    }

    /// One chat completion over HTTP; fails on any answer but 200.
    private static func chat(_ http: HTTPClient, _ url: String, _ model: String) async throws {
        let body = #"{"model": "\#(model)", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}"#
        let (status, answer) = try await send(http, url, body: body)
        guard status == 200 else {
            throw BenchmarkFailure("gateway: \(url): HTTP \(status): \(String(buffer: answer))")
        }
    }

    /// One request through Kafka to the agent; fails on any answer but a response.
    private static func call(_ client: ProviderClient, _ topic: String) async throws {
        let request = ProviderRequest(
            requestID: UUID().uuidString, messages: [ChatMessage(role: .user, content: .text("hi"))], model: model,
            maxTokens: 16)
        let answer = try await client.call(request, to: topic, timeout: .seconds(60))
        if let error = answer.error { throw BenchmarkFailure("gateway: client → agent: \(error.error)") }
    }

    /// `count` calls of `one`, `concurrency` at a time.
    private func measure(
        count: Int, concurrency: Int, name: String, _ one: @escaping @Sendable () async throws -> Void
    ) async throws -> Row {
        let next = SharedCount(0)
        let started = ContinuousClock.now
        let recorders = try await withThrowingTaskGroup(of: LatencyRecorder.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var recorder = LatencyRecorder()
                    while next.value.add(1, ordering: .relaxed).oldValue < count {
                        let begin = ContinuousClock.now
                        try await one()
                        recorder.record(.now - begin)
                    }
                    return recorder
                }
            }
            var all: [LatencyRecorder] = []
            for try await recorder in group { all.append(recorder) }
            return all
        }
        let elapsed = ContinuousClock.now - started
        var merged = LatencyRecorder()
        for recorder in recorders { merged.merge(recorder) }
        guard let summary = merged.summary else { throw BenchmarkFailure("gateway: \(name): nothing measured") }
        let row = Row(
            path: name, concurrency: concurrency, requests: count, rate: Double(count) / elapsed.seconds,
            latency: summary)
        progress(
            String(
                format: "  -> %@ at %d: %.0f req/s, p50 %.2f ms, p99 %.2f ms", name, concurrency, row.rate,
                summary.p50, summary.p99))
        return row
    }

    /// The gateway process's resident memory with `openRequests` requests open at once (the
    /// upstream holding each for 3 s), against the same process idle.
    private mutating func memory(_ http: HTTPClient, upstream: String, base: String, gateway: ChildProcess)
        async throws
    {
        guard let idle = Self.residentBytes(of: gateway.pid) else {
            notes.append("memory per open request: not measured (no /proc)")
            return
        }
        _ = try await Self.send(
            http, "\(upstream)/fake/latency", body: #"{"distribution": "fixed:3000ms"}"#, method: .PUT)
        let peak = SharedCount(idle)
        let open = plan.openRequests
        let body =
            #"{"model": "openai/\#(Self.model)", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}"#
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                let until = ContinuousClock.now + .seconds(4)
                while ContinuousClock.now < until {
                    if let now = Self.residentBytes(of: gateway.pid) { peak.value.max(now, ordering: .relaxed) }
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            for _ in 0..<open {
                group.addTask {
                    let (status, answer) = try await Self.send(http, "\(base)/v1/chat/completions", body: body)
                    guard status == 200 else {
                        throw BenchmarkFailure("gateway: open requests: HTTP \(status): \(String(buffer: answer))")
                    }
                }
            }
            try await group.waitForAll()
        }
        _ = try await Self.send(http, "\(upstream)/fake/latency", body: nil, method: .DELETE)
        let perRequest = Double(peak.value.load(ordering: .relaxed) - idle) / Double(open)
        notes.append(
            String(
                format: "gateway process: %.1f MiB idle, %.1f MiB with %d requests open (3-s upstream): "
                    + "%.1f KiB per open request",
                Double(idle) / 1_048_576, Double(peak.value.load(ordering: .relaxed)) / 1_048_576, open,
                perRequest / 1024))
    }

    /// A job of `plan.batchLines` lines through the gateway's Files and Batch APIs, run by the
    /// gateway's own batch runner through the router: lines per second from the create to
    /// `completed`.
    private mutating func batch(_ http: HTTPClient, base: String) async throws {
        let lines = plan.batchLines
        guard lines > 0 else { return }
        progress("gateway: a batch of \(lines) lines")
        let jsonl = (0..<lines).map { index in
            #"{"custom_id": "b-\#(index)", "method": "POST", "url": "/v1/chat/completions", "body": "#
                + #"{"model": "\#(Self.model)", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}}"#
        }.joined(separator: "\n")
        let boundary = "bench-\(UUID().uuidString)"
        var form = "--\(boundary)\r\ncontent-disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n"
        form += "--\(boundary)\r\ncontent-disposition: form-data; name=\"file\"; filename=\"bench.jsonl\"\r\n"
        form += "content-type: application/jsonl\r\n\r\n\(jsonl)\n\r\n--\(boundary)--\r\n"
        var upload = HTTPClientRequest(url: "\(base)/v1/files")
        upload.method = .POST
        upload.headers.add(name: "content-type", value: "multipart/form-data; boundary=\(boundary)")
        upload.body = .bytes(ByteBuffer(string: form))
        let uploaded = try await http.execute(upload, timeout: .seconds(60))
        let file = try await Self.member("id", of: uploaded.body.collect(upTo: 1 << 20), what: "upload")
        let started = ContinuousClock.now
        let (status, created) = try await Self.send(
            http, "\(base)/v1/batches",
            body: #"{"input_file_id": "\#(file)", "endpoint": "/v1/chat/completions", "completion_window": "24h"}"#)
        guard status == 200 else { throw BenchmarkFailure("gateway: batch create: HTTP \(status)") }
        let id = try Self.member("id", of: created, what: "batch create")
        let deadline = ContinuousClock.now + context.phaseTimeout
        while true {
            let (_, body) = try await Self.send(http, "\(base)/v1/batches/\(id)", body: nil)
            let job = String(buffer: body)
            if job.contains(#""status":"completed""#) {
                guard job.contains(#""completed":\#(lines),"failed":0"#) else {
                    throw BenchmarkFailure("gateway: batch ended with failures: \(job)")
                }
                break
            }
            if ["failed", "expired", "cancelled"].contains(where: { job.contains(#""status":"\#($0)""#) }) {
                throw BenchmarkFailure("gateway: batch did not complete: \(job)")
            }
            guard ContinuousClock.now < deadline else { throw BenchmarkFailure("gateway: batch timed out: \(job)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        let elapsed = (ContinuousClock.now - started).seconds
        notes.append(
            String(
                format: "batch: %d lines through the Batch API (the gateway's runner, 16 lines at once, via the "
                    + "router) in %.2f s: %.0f lines/s",
                lines, elapsed, Double(lines) / elapsed))
    }

    /// The string member `name` of a JSON object answer.
    private static func member(_ name: String, of body: ByteBuffer, what: String) throws -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(String(buffer: body).utf8)) as? [String: Any],
            let value = object[name] as? String
        else { throw BenchmarkFailure("gateway: \(what): no '\(name)' in \(String(buffer: body))") }
        return value
    }

    private mutating func judge() {
        func row(_ path: String, _ concurrency: Int) -> Row? {
            rows.first { $0.path == path && $0.concurrency == concurrency }
        }
        let direct = row("upstream, direct", 1)
        for path in ["gateway → router → agent", "gateway → agent"] {
            if let direct, let through = row(path, 1) {
                let added = through.latency.p50 - direct.latency.p50
                targets.append(
                    String(
                        format: "%@: added p50 at 1 at a time %.2f ms (target ≤ %.0f ms: %@)", path, added,
                        Target.addedP50Milliseconds, added <= Target.addedP50Milliseconds ? "met" : "MISSED"))
            }
            if let at16 = row(path, 16) {
                targets.append(
                    String(
                        format: "%@: %.0f req/s at 16 at once (target ≥ %.0f: %@)", path, at16.rate, Target.rateAt16,
                        at16.rate >= Target.rateAt16 ? "met" : "MISSED"))
            }
        }
    }

    static func send(_ http: HTTPClient, _ url: String, body: String?, method: HTTPMethod? = nil) async throws
        -> (Int, ByteBuffer)
    {
        var request = HTTPClientRequest(url: url)
        request.method = method ?? (body == nil ? .GET : .POST)
        if let body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await http.execute(request, timeout: .seconds(60))
        return (Int(response.status.code), try await response.body.collect(upTo: 1 << 20))
    }

    /// VmRSS of process `pid`, from /proc.
    static func residentBytes(of pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return nil }
        return kilobytes * 1024
    }

    static func render(_ rows: [Row]) -> String {
        TextTable(
            headers: ["path", "at once", "requests", "req/s", "p50 ms", "p99 ms", "max ms"], leftAligned: [0],
            rows: rows.map { row in
                [
                    row.path, "\(row.concurrency)", "\(row.requests)", String(format: "%.0f", row.rate),
                    String(format: "%.2f", row.latency.p50), String(format: "%.2f", row.latency.p99),
                    String(format: "%.2f", row.latency.max),
                ]
            }
        ).render()
    }
}

/// An atomic integer that concurrent child tasks share.
private final class SharedCount: Sendable {
    let value: Atomic<Int>

    init(_ initial: Int) {
        value = Atomic(initial)
    }
}
