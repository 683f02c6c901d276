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

/// End-to-end latency of a request: client → router → agent → client, with a 0-ms test provider,
/// against the same request sent straight to the agent's topic (what the router hop costs). One
/// agent, one router and one `ProviderClient` in this process, on fresh topics under a unique
/// prefix. Sequential calls (one in flight) give the latency; a concurrent phase the rate.
struct RouterLatencySuite {
    struct Plan: Sendable {
        var sequential: Int
        var concurrent: Int
        var inFlight: Int
        var warmup: Int
        /// `fetch.wait.max.ms` of the agent, the router and the client.
        var fetchWaitMs: Int
    }

    struct Row: Sendable {
        var path: String
        var inFlight: Int
        var requests: Int
        var rate: Double
        var latency: LatencySummary
    }

    let context: BenchmarkContext
    let plan: Plan
    private(set) var rows: [Row] = []
    private(set) var notes: [String] = []

    init(context: BenchmarkContext, plan: Plan) {
        self.context = context
        self.plan = plan
    }

    static let provider = "benchrouted"
    static let model = "test-model"

    mutating func run() async throws {
        let prefix = uniqueName("bench-router") + "."
        var agentConfiguration = ProviderAgentConfiguration(
            provider: Self.provider, instanceID: "bench-1", bootstrapServers: context.bootstrapServers, topicPrefix: prefix,
            maxInFlight: 512, maxConcurrentCalls: 512, models: [Self.model], defaultModel: Self.model, sessionTimeout: .seconds(6)
        )
        agentConfiguration.statusInterval = .milliseconds(500)
        // Tansu answers a fetch when its wait ends, not when data arrives: the idle fetch wait
        // bounds every hop (Kafka returns at once with fetch.min.bytes=1).
        let fetchWait = ["fetch.wait.max.ms": "\(plan.fetchWaitMs)"]
        agentConfiguration.kafkaProperties = fetchWait
        let routerConfiguration = LLMRouterConfiguration(
            instanceID: "bench-router", bootstrapServers: context.bootstrapServers, topicPrefix: prefix, sessionTimeout: .seconds(6),
            kafkaProperties: fetchWait
        )
        let replyTopic = prefix + "bench.replies"
        let partitions = context.partitions
        try await context.createTopics([
            KafkaTopicSpec(name: agentConfiguration.requestTopic, partitions: partitions),
            KafkaTopicSpec(name: agentConfiguration.ledgerTopic, partitions: partitions),
            KafkaTopicSpec(name: agentConfiguration.controlTopic, partitions: 1),
            KafkaTopicSpec(name: routerConfiguration.routerRequestTopic, partitions: partitions),
            KafkaTopicSpec(name: agentConfiguration.responseTopic, partitions: partitions),
            KafkaTopicSpec(name: agentConfiguration.errorTopic, partitions: partitions),
            KafkaTopicSpec(name: agentConfiguration.statusTopic, partitions: 1),
            KafkaTopicSpec(name: agentConfiguration.deadLetterTopic, partitions: 1),
            KafkaTopicSpec(name: replyTopic, partitions: partitions),
        ])
        let provider = TestProvider(configuration: .init(name: Self.provider, latency: .fixed(.zero)))
        let agent = try ProviderAgent(configuration: agentConfiguration, provider: provider, logger: context.logger)
        let router = try LLMRouter(configuration: routerConfiguration, logger: context.logger)
        let client = try ProviderClient(configuration: ProviderClientConfiguration(
            common: KafkaConfiguration(bootstrapServers: context.bootstrapServers), clientID: "bench-client", topicPrefix: prefix,
            replyTopic: replyTopic, defaultTimeout: .seconds(30), fetchMaxWait: .milliseconds(plan.fetchWaitMs)
        ), logger: context.logger)
        let agentTask = Task { try await agent.run() }
        let routerTask = Task { try await router.run() }
        defer {
            agent.shutdown()
            router.shutdown()
        }
        try await client.start()
        progress("router: waiting for the agent and the router to join their groups")
        let joinStarted = ContinuousClock.now
        while router.providers.first(where: { $0.provider == Self.provider })?.routableInstances ?? 0 == 0
            || router.assignedPartitions == 0 || (agent.currentStatus.ownedPartitions ?? []).isEmpty {
            guard ContinuousClock.now - joinStarted < context.phaseTimeout else { throw BenchmarkFailure("router: the agent or router did not join in time") }
            try await Task.sleep(for: .milliseconds(50))
        }
        let routed = routerConfiguration.routerRequestTopic
        let direct = agentConfiguration.requestTopic
        progress("router: warm-up (\(plan.warmup) requests each way)")
        _ = try await Self.measure(client, to: routed, count: plan.warmup, inFlight: 16, tag: "warm-r")
        _ = try await Self.measure(client, to: direct, count: plan.warmup, inFlight: 16, tag: "warm-d")

        progress("router: \(plan.sequential) sequential requests through the router, then straight to the agent")
        rows.append(try await Self.measure(client, to: routed, count: plan.sequential, inFlight: 1, tag: "seq-r").row("client → router → agent → client"))
        rows.append(try await Self.measure(client, to: direct, count: plan.sequential, inFlight: 1, tag: "seq-d").row("client → agent → client"))
        progress("router: \(plan.concurrent) requests, \(plan.inFlight) in flight")
        rows.append(try await Self.measure(client, to: routed, count: plan.concurrent, inFlight: plan.inFlight, tag: "con-r").row("client → router → agent → client"))
        rows.append(try await Self.measure(client, to: direct, count: plan.concurrent, inFlight: plan.inFlight, tag: "con-d").row("client → agent → client"))
        let stats = client.stats
        notes.append("every request answered by a provider_response; \(stats.duplicates) duplicates, \(stats.timedOut) timeouts; "
                     + "router: \(router.counters.routed) routed, \(router.counters.rerouted) rerouted")
        await client.shutdown()
        agent.shutdown()
        router.shutdown()
        _ = await agentTask.result
        _ = await routerTask.result
    }

    struct Measurement {
        var count: Int
        var inFlight: Int
        var elapsed: Duration
        var latency: LatencySummary

        func row(_ path: String) -> Row {
            Row(path: path, inFlight: inFlight, requests: count, rate: Double(count) / elapsed.seconds, latency: latency)
        }
    }

    /// `count` calls to `topic`, at most `inFlight` at once; each must be answered by a response.
    static func measure(_ client: ProviderClient, to topic: String, count: Int, inFlight: Int, tag: String) async throws -> Measurement {
        let shared = Shared()
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<inFlight {
                group.addTask {
                    while true {
                        let index = shared.next.add(1, ordering: .relaxed).oldValue
                        guard index < count else { return }
                        let request = ProviderRequest(requestID: "\(tag)-\(index)-\(UInt32.random(in: 0...UInt32.max))",
                                                      messages: [ChatMessage(role: .user, content: .text("hello \(index)"))],
                                                      model: model, maxTokens: 16)
                        let result = try await client.call(request, to: topic)
                        guard result.response != nil else {
                            throw BenchmarkFailure("router: \(request.requestID) was answered \(result.error.map { "\($0.errorType.rawValue): \($0.error)" } ?? "?")")
                        }
                        shared.recorder.withLock { $0.record(result.latency) }
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = ContinuousClock.now - started
        guard let summary = shared.recorder.withLock({ $0.summary }) else { throw BenchmarkFailure("router: nothing measured") }
        return Measurement(count: count, inFlight: inFlight, elapsed: elapsed, latency: summary)
    }

    /// The calls' shared counter and recorder (both synchronized themselves).
    final class Shared: Sendable {
        let next = Atomic<Int>(0)
        let recorder = Mutex(LatencyRecorder())
    }

    static func render(_ rows: [Row]) -> String {
        TextTable(
            headers: ["path", "in flight", "requests", "req/s", "p50 ms", "p99 ms", "max ms"], leftAligned: [0],
            rows: rows.map { row in
                [row.path, "\(row.inFlight)", "\(row.requests)", String(format: "%.0f", row.rate),
                 String(format: "%.2f", row.latency.p50), String(format: "%.2f", row.latency.p99), String(format: "%.2f", row.latency.max)]
            }
        ).render()
    }
}
