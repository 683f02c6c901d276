import Agent
import AgentCore
import Foundation
import Kafka
import KafkaTestSupport
import ProviderClient
import Router
import RouterAgent
import Signals
import Synchronization

/// End-to-end latency of a request with a 0-ms test provider, direct (client → agent → client)
/// and routed (client → router → agent → client), for every ``LatencyProfile``: p50/p99 one
/// request at a time and at 64 in flight, the rate, and CPU per request. Then, for one profile,
/// where a request waits (each hop's p50 from the workers' observers), and one stream's time to
/// first token and chunks per second. One agent, one router and one `ProviderClient` in this
/// process per profile, on fresh topics.
struct LatencySuite {
    struct Plan: Sendable {
        var profiles: [LatencyProfile]
        var sequential: Int
        var concurrent: Int
        var inFlight: Int
        var warmup: Int
        var streamChunks: Int
    }

    struct Row: Sendable {
        var profile: String
        var path: String
        var inFlight: Int
        var requests: Int
        var rate: Double
        var latency: LatencySummary
        var cpuMicroseconds: Double
    }

    struct Hop: Sendable {
        var path: String
        var hop: String
        var p50: Double
        var p99: Double
    }

    let context: BenchmarkContext
    let plan: Plan
    private(set) var rows: [Row] = []
    private(set) var hops: [Hop] = []
    private(set) var notes: [String] = []

    init(context: BenchmarkContext, plan: Plan) {
        self.context = context
        self.plan = plan
    }

    static let provider = "benchlatency"
    static let model = "test-model"

    /// One agent, router and client on fresh topics with `profile`.
    struct Setup {
        let agent: ProviderAgent
        let router: LLMRouter
        let client: ProviderClient
        let agentTask: Task<Void, any Error>
        let routerTask: Task<Void, any Error>
        let agentHops: HopRecorder
        let routerHops: HopRecorder
        let routed: String
        let direct: String

        func stop() async {
            await client.shutdown()
            agent.shutdown()
            router.shutdown()
            _ = await agentTask.result
            _ = await routerTask.result
        }
    }

    func setUp(_ profile: LatencyProfile, streamChunks: Int) async throws -> Setup {
        let prefix = uniqueName("bench-latency") + "."
        let agentHops = HopRecorder(prefix: "seq-")
        let routerHops = HopRecorder(prefix: "seq-")
        var agentConfiguration = ProviderAgentConfiguration(
            provider: Self.provider, instanceID: "bench-1", bootstrapServers: context.bootstrapServers,
            topicPrefix: prefix,
            maxInFlight: 512, maxConcurrentCalls: 512, models: [Self.model], defaultModel: Self.model,
            sessionTimeout: .seconds(6)
        )
        agentConfiguration.statusInterval = .milliseconds(500)
        agentConfiguration.latency = profile
        agentConfiguration.observer = agentHops
        var routerConfiguration = LLMRouterConfiguration(
            instanceID: "bench-router", bootstrapServers: context.bootstrapServers, topicPrefix: prefix,
            sessionTimeout: .seconds(6)
        )
        routerConfiguration.latency = profile
        routerConfiguration.observer = routerHops
        let clientID = "bench-client"
        let replyTopic = agentConfiguration.topics.clientReplies(clientID)
        let partitions = context.partitions
        try await context.createTopics(
            agent: agentConfiguration, router: routerConfiguration,
            extra: [KafkaTopicSpec(name: replyTopic, partitions: partitions)])
        let provider = TestProvider(
            configuration: .init(name: Self.provider, latency: .fixed(.zero), streamChunks: streamChunks))
        let agent = try ProviderAgent(configuration: agentConfiguration, provider: provider, logger: context.logger)
        let router = try LLMRouter(configuration: routerConfiguration, logger: context.logger)
        var clientConfiguration = ProviderClientConfiguration(
            common: KafkaConfiguration(bootstrapServers: context.bootstrapServers), clientID: clientID,
            topicPrefix: prefix, replyTopic: replyTopic, defaultTimeout: .seconds(30)
        )
        clientConfiguration.apply(profile)
        let client = try ProviderClient(configuration: clientConfiguration, logger: context.logger)
        let setup = Setup(
            agent: agent, router: router, client: client, agentTask: Task { try await agent.run() },
            routerTask: Task { try await router.run() }, agentHops: agentHops, routerHops: routerHops,
            routed: routerConfiguration.routerRequestTopic, direct: agentConfiguration.requestTopic
        )
        do {
            try await client.start()
            let joinStarted = ContinuousClock.now
            while router.providers.first(where: { $0.provider == Self.provider })?.routableInstances ?? 0 == 0
                || router.assignedPartitions == 0 || (agent.currentStatus.ownedPartitions ?? []).isEmpty
            {
                guard ContinuousClock.now - joinStarted < context.phaseTimeout else {
                    throw BenchmarkFailure("latency: the agent or router did not join in time")
                }
                try await Task.sleep(for: .milliseconds(50))
            }
        } catch {
            await setup.stop()
            throw error
        }
        return setup
    }

    mutating func run() async throws {
        for profile in plan.profiles {
            progress("latency: profile \(profile.name) (fetch wait \(profile.fetchWait), linger \(profile.linger))")
            let setup = try await setUp(profile, streamChunks: 4)
            do {
                _ = try await Self.measure(
                    setup.client, to: setup.routed, count: plan.warmup, inFlight: 16, tag: "warm-r")
                _ = try await Self.measure(
                    setup.client, to: setup.direct, count: plan.warmup, inFlight: 16, tag: "warm-d")
                for (path, topic, tag) in [("routed", setup.routed, "seq-r"), ("direct", setup.direct, "seq-d")] {
                    let measured = try await Self.measure(
                        setup.client, to: topic, count: plan.sequential, inFlight: 1, tag: tag)
                    rows.append(measured.row(profile.name, path))
                    if profile == plan.profiles.first {
                        hops += Self.breakdown(measured.calls, path: path, setup: setup)
                    }
                }
                for (path, topic, tag) in [("routed", setup.routed, "con-r"), ("direct", setup.direct, "con-d")] {
                    let measured = try await Self.measure(
                        setup.client, to: topic, count: plan.concurrent, inFlight: plan.inFlight, tag: tag)
                    rows.append(measured.row(profile.name, path))
                }
                let stats = setup.client.stats
                if stats.duplicates > 0 || stats.timedOut > 0 {
                    notes.append("\(profile.name): \(stats.duplicates) duplicates, \(stats.timedOut) timeouts")
                }
            } catch {
                await setup.stop()
                throw error
            }
            await setup.stop()
        }
        // One stream, many chunks: time to first token and chunks per second.
        let profile = plan.profiles.first ?? .balanced
        let setup = try await setUp(profile, streamChunks: plan.streamChunks)
        do {
            try await stream(setup, profile: profile)
        } catch {
            await setup.stop()
            throw error
        }
        await setup.stop()
    }

    private mutating func stream(_ setup: Setup, profile: LatencyProfile) async throws {
        var firsts = LatencyRecorder()
        var rates: [Double] = []
        for index in 0..<20 {
            let times = Mutex<[ContinuousClock.Instant]>([])
            let request = ProviderRequest(
                requestID: "stream-\(index)-\(UInt32.random(in: 0...UInt32.max))",
                messages: [
                    ChatMessage(role: .user, content: .text(String(repeating: "word ", count: plan.streamChunks)))
                ],
                model: Self.model, maxTokens: 4_096
            )
            let sent = ContinuousClock.now
            let result = try await setup.client.call(request, as: .stream, to: setup.direct) { _ in
                times.withLock { $0.append(.now) }
            }
            guard result.response != nil else { throw BenchmarkFailure("latency: stream \(request.requestID) failed") }
            let arrivals = times.withLock { $0 }
            guard let first = arrivals.first, let last = arrivals.last, arrivals.count > 1 else { continue }
            firsts.record(first - sent)
            rates.append(Double(arrivals.count - 1) / max((last - first).seconds, 1e-6))
        }
        if let summary = firsts.summary {
            rates.sort()
            notes.append(
                """
                stream (\(profile.name), direct, \(plan.streamChunks) deltas + the closing chunk, 0-ms provider, \
                20 streams): \

                """
                    + String(
                        format: "time to first chunk p50 %.2f ms, p99 %.2f ms; chunks per second p50 %.0f", summary.p50,
                        summary.p99,
                        rates.isEmpty ? 0 : rates[rates.count / 2])
                    + " (chunks are published without waiting for each acknowledgement)"
            )
        }
    }

    struct Call: Sendable {
        var key: String
        var sent: ContinuousClock.Instant
        var read: ContinuousClock.Instant
    }

    struct Measurement {
        var count: Int
        var inFlight: Int
        var elapsed: Duration
        var latency: LatencySummary
        var cpu: Duration
        var calls: [Call]

        func row(_ profile: String, _ path: String) -> Row {
            Row(
                profile: profile, path: path, inFlight: inFlight, requests: count,
                rate: Double(calls.count) / elapsed.seconds,  // answered calls (timeouts are in the notes)
                latency: latency, cpuMicroseconds: cpu.seconds * 1_000_000 / Double(count))
        }
    }

    /// `count` calls to `topic`, at most `inFlight` at once; each must be answered by a response or
    /// time out (counted in the client's stats).
    static func measure(_ client: ProviderClient, to topic: String, count: Int, inFlight: Int, tag: String) async throws
        -> Measurement
    {
        let shared = Shared()
        let cpuBefore = ProcessUsage.cpuTime()
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<inFlight {
                group.addTask {
                    while true {
                        let index = shared.next.add(1, ordering: .relaxed).oldValue
                        guard index < count else { return }
                        let request = ProviderRequest(
                            requestID: "\(tag)-\(index)-\(UInt32.random(in: 0...UInt32.max))",
                            messages: [ChatMessage(role: .user, content: .text("hello \(index)"))],
                            model: model, maxTokens: 16)
                        let sent = ContinuousClock.now
                        let result: ProviderCallResult
                        do {
                            result = try await client.call(request, to: topic)
                        } catch let error as ProviderClientError where error.code == .timedOut {
                            // Counted by the client (the profile's note says how many); the
                            // latencies are those of the calls answered.
                            continue
                        }
                        guard result.response != nil else {
                            throw BenchmarkFailure(
                                """
                                latency: \(request.requestID) was answered \
                                \(result.error.map { "\($0.errorType.rawValue): \($0.error)" } ?? "?")
                                """
                            )
                        }
                        shared.recorder.withLock { $0.record(result.latency) }
                        shared.calls.withLock {
                            $0.append(Call(key: request.requestID, sent: sent, read: sent + result.latency))
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = ContinuousClock.now - started
        let cpu = ProcessUsage.cpuTime() - cpuBefore
        guard let summary = shared.recorder.withLock({ $0.summary }) else {
            throw BenchmarkFailure("latency: nothing measured")
        }
        return Measurement(
            count: count, inFlight: inFlight, elapsed: elapsed, latency: summary, cpu: cpu,
            calls: shared.calls.withLock { $0 })
    }

    /// Each hop's p50 and p99 over the calls, from the send to the answer read back.
    static func breakdown(_ calls: [Call], path: String, setup: Setup) -> [Hop] {
        var segments: [String: LatencyRecorder] = [:]
        var order: [String] = []
        for call in calls {
            let agent = setup.agentHops.instants(call.key)
            let router = setup.routerHops.instants(call.key)
            var points: [(String, ContinuousClock.Instant?)] = [("sent", call.sent)]
            if path == "routed" {
                points += [
                    ("router fetched", router[.fetched]),
                    ("router forwarded (journal + forward acknowledged)", router[.finished]),
                ]
            }
            points += [
                ("agent fetched", agent[.fetched]), ("admitted (ledger started acknowledged)", agent[.admitted]),
                ("provider called", agent[.called]), ("provider answered", agent[.answered]),
                ("published (ledger done + answer acknowledged)", agent[.finished]),
                ("read back by the client", call.read),
            ]
            for (from, to) in zip(points, points.dropFirst()) {
                guard let start = from.1, let end = to.1 else { continue }
                let name = "\(from.0) → \(to.0)"
                if segments[name] == nil { order.append(name) }
                segments[name, default: LatencyRecorder()].record(max(.zero, end - start))
            }
        }
        return order.compactMap { name in
            segments[name]?.summary.map { Hop(path: path, hop: name, p50: $0.p50, p99: $0.p99) }
        }
    }

    /// The calls' shared counter and recorders (each synchronized itself).
    final class Shared: Sendable {
        let next = Atomic<Int>(0)
        let recorder = Mutex(LatencyRecorder())
        let calls = Mutex<[Call]>([])
    }

    static func render(_ rows: [Row]) -> String {
        TextTable(
            headers: ["profile", "path", "in flight", "requests", "req/s", "p50 ms", "p99 ms", "max ms", "CPU µs/req"],
            leftAligned: [0, 1],
            rows: rows.map { row in
                [
                    row.profile, row.path, "\(row.inFlight)", "\(row.requests)", String(format: "%.0f", row.rate),
                    String(format: "%.2f", row.latency.p50), String(format: "%.2f", row.latency.p99),
                    String(format: "%.2f", row.latency.max),
                    String(format: "%.0f", row.cpuMicroseconds),
                ]
            }
        ).render()
    }

    static func render(_ hops: [Hop]) -> String {
        TextTable(
            headers: ["path", "hop", "p50 ms", "p99 ms"], leftAligned: [0, 1],
            rows: hops.map { [$0.path, $0.hop, String(format: "%.2f", $0.p50), String(format: "%.2f", $0.p99)] }
        ).render()
    }
}
