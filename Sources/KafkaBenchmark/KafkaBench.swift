import ArgumentParser
import Foundation
import Kafka
import Logging

/// `kafka-bench`: the Kafka baseline of this project and the provider agent measured against it,
/// on a real broker (Tansu).
@main
struct KafkaBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka-bench",
        abstract:
            """
            Kafka baseline (produce/consume throughput, awaited-send latency, consume->produce pass-through) and \
            the provider agent against it.
            """,
        discussion: """
            Starts Tansu on a free loopback port (stopped at the end) unless --bootstrap names a broker. \
            Every run uses fresh, uniquely named topics and consumer groups. Progress goes to standard \
            error; the result tables to standard output. --suite kafka: the Kafka baseline; --suite agent: \
            the provider agent (test provider with 0 ms, then 200 ms latency) against the raw \
            pass-through on the same requests; --suite adapters: the real adapters against the fake \
            upstream; --suite scale: 1, 2, 4 agent processes against the fake upstream, and the pause \
            a joining and a leaving agent cause; --suite all (default): every one.
            """
    )

    /// Which benchmarks run.
    enum Suite: String, ExpressibleByArgument, CaseIterable {
        case kafka, agent, adapters, scale, latency, ledger, gateway, all

        var includesKafka: Bool { self == .kafka || self == .all }
        var includesAgent: Bool { self == .agent || self == .all }
        var includesAdapters: Bool { self == .adapters || self == .all }
        var includesScale: Bool { self == .scale || self == .all }
        var includesLatency: Bool { self == .latency || self == .all }
        var includesLedger: Bool { self == .ledger || self == .all }
        var includesGateway: Bool { self == .gateway || self == .all }
    }

    @Option(
        name: .long, help: "Which benchmarks to run: kafka, agent, adapters, scale, latency, ledger, gateway or all.")
    var suite: Suite = .all

    @Option(name: .long, help: "Bootstrap servers of a running broker; default: start Tansu here.")
    var bootstrap: String?

    @Option(name: .long, parsing: .upToNextOption, help: "Message value sizes in bytes.")
    var sizes: [Int] = [200, 1024]

    @Option(
        name: .long,
        help: "Messages per size for produce, consume and pass-through (default: 200,000 up to 512 B, else 100,000).")
    var messages: Int?

    @Option(name: .long, help: "Partitions of each benchmark topic.")
    var partitions: Int = 6

    @Option(name: .long, help: "Timed sequential awaited sends per size.")
    var sends: Int = 2_000

    @Option(name: .long, help: "Untimed awaited sends before the timed ones.")
    var warmup: Int = 100

    @Option(name: .long, help: "Producer linger.ms (default: the project default, 1 ms).")
    var lingerMs: Int?

    @Option(name: .long, help: "Seconds each phase may take before the run fails.")
    var phaseTimeout: Int = 120

    @Option(name: .long, help: "Log level of the Kafka clients (trace ... critical).")
    var logLevel: String = "warning"

    @Option(name: .long, help: "Agent suite: requests of the 0-ms scenario and of the raw pass-through baseline.")
    var agentRequests: Int = 100_000

    @Option(
        name: .long,
        help: "Agent suite: max in flight (= max concurrent calls) of the 0-ms scenario (the agent default is 512).")
    var agentInFlight: Int = 512

    @Option(name: .long, help: "Agent suite: requests of the slow-provider scenario.")
    var agentSlowRequests: Int = 30_000

    @Option(name: .long, help: "Agent suite: provider latency of the slow-provider scenario, in milliseconds.")
    var agentSlowLatencyMs: Int = 200

    @Option(name: .long, help: "Agent suite: max in flight (= max concurrent calls) of the slow-provider scenario.")
    var agentSlowInFlight: Int = 10_000

    @Option(name: .long, help: "Adapters suite: requests of each 0-ms scenario.")
    var adapterRequests: Int = 20_000

    @Option(name: .long, help: "Adapters suite: max in flight (= max concurrent calls) at 0 ms.")
    var adapterInFlight: Int = 512

    @Option(name: .long, help: "Adapters suite: requests of each slow scenario.")
    var adapterSlowRequests: Int = 10_000

    @Option(
        name: .long,
        help: "Adapters suite: max in flight (= max concurrent calls, = HTTP connections) in the slow scenarios.")
    var adapterSlowInFlight: Int = 2_000

    @Option(name: .long, parsing: .upToNextOption, help: "Adapters suite: which adapters (openai anthropic ollama).")
    var adapters: [String] = ["openai", "anthropic", "ollama"]

    @Option(
        name: .long, parsing: .upToNextOption,
        help: "Scale suite: numbers of agent processes to measure (the first should be 1: efficiency is against it).")
    var scaleAgents: [Int] = [1, 2, 4]

    @Option(name: .long, help: "Scale suite: max in flight (= max concurrent calls) of each agent.")
    var scaleInFlight: Int = 32

    @Option(name: .long, help: "Scale suite: the fake upstream's latency per call, in milliseconds.")
    var scaleLatencyMs: Int = 100

    @Option(
        name: .long, help: "Scale suite: timed seconds per configuration at the theoretical bound (sizes the backlog).")
    var scaleSeconds: Int = 20

    @Option(name: .long, help: "Scale suite: agents before the join in the rebalance scenario.")
    var scaleRebalanceAgents: Int = 2

    @Option(name: .long, help: "Scale suite: requests per second offered during the rebalance scenario.")
    var scaleRebalanceRate: Int = 200

    @Option(
        name: .long,
        help:
            """
            Scale suite: seconds of steady load before the rebalance scenario's join, and after each settling \
            (join, leave).
            """
    )
    var scaleRebalancePhase: Int = 15

    @Option(name: .long, help: "Scale suite: the agent processes' --log-level (logs in the temporary directory).")
    var scaleAgentLogLevel: String = "info"

    @Option(
        name: .long,
        help: "Agent and adapters suites: the agents' latency profile (interactive, balanced, efficient, batch).")
    var agentProfile: String = LatencyProfile.efficient.name

    @Option(name: .long, help: "Latency suite: sequential calls per path and profile.")
    var latencySequential: Int = 1_000

    @Option(name: .long, help: "Latency suite: calls per path and profile in the concurrent phase.")
    var latencyConcurrent: Int = 10_000

    @Option(name: .long, help: "Latency suite: calls in flight in the concurrent phase.")
    var latencyInFlight: Int = 64

    @Option(
        name: .long, parsing: .upToNextOption,
        help:
            """
            Latency suite: the profiles to measure (interactive, balanced, efficient, batch); the first also gets \
            the hop breakdown and the stream.
            """
    )
    var latencyProfiles: [String] = LatencyProfile.all.map(\.name)

    @Option(name: .long, help: "Gateway suite: sequential requests per path.")
    var gatewaySequential: Int = 300

    @Option(name: .long, help: "Gateway suite: requests per path at each concurrency (16, 64).")
    var gatewayConcurrent: Int = 3_000

    @Option(name: .long, help: "Gateway suite: requests held open at once for the memory figure.")
    var gatewayOpenRequests: Int = 1_000

    @Option(name: .long, help: "Gateway suite: lines of the batch job measured (0: none).")
    var gatewayBatchLines: Int = 2_000

    @Option(name: .long, help: "Gateway suite: the latency profile of the gateway, router and agent.")
    var gatewayProfile: String = LatencyProfile.interactive.name

    @Option(name: .long, help: "Latency suite: deltas of the measured stream.")
    var latencyStreamChunks: Int = 200

    @Option(name: .long, help: "Ledger suite: old records in the ledger partition a new agent is assigned.")
    var ledgerRecords: Int = 1_000_000

    func validate() throws {
        guard !scaleAgents.isEmpty, scaleAgents.allSatisfy({ $0 > 0 }), scaleInFlight > 0, scaleLatencyMs > 0,
            scaleSeconds > 0,
            scaleRebalanceAgents > 0, scaleRebalanceRate > 0, scaleRebalancePhase >= 5
        else {
            throw ValidationError(
                """
                --scale-agents, --scale-in-flight, --scale-latency-ms, --scale-seconds, --scale-rebalance-agents, \
                --scale-rebalance-rate must be positive, --scale-rebalance-phase at least 5
                """
            )
        }
        guard latencySequential > 0, latencyConcurrent > 0, latencyInFlight > 0, latencyStreamChunks > 0,
            ledgerRecords >= 0
        else {
            throw ValidationError(
                """
                --latency-sequential, --latency-concurrent, --latency-in-flight, --latency-stream-chunks must be \
                positive, --ledger-records not negative
                """
            )
        }
        if LatencyProfile.named(agentProfile) == nil {
            throw ValidationError(
                """
                --agent-profile: unknown profile '\(agentProfile)' \
                (\(LatencyProfile.all.map(\.name).joined(separator: ", ")))
                """
            )
        }
        for name in latencyProfiles where LatencyProfile.named(name) == nil {
            throw ValidationError(
                """
                --latency-profiles: unknown profile '\(name)' \
                (\(LatencyProfile.all.map(\.name).joined(separator: ", ")))
                """
            )
        }
        guard adapterRequests > 0, adapterInFlight > 0, adapterSlowRequests > 0, adapterSlowInFlight > 0 else {
            throw ValidationError(
                """
                --adapter-requests, --adapter-in-flight, --adapter-slow-requests, --adapter-slow-in-flight must be \
                positive
                """
            )
        }
        for name in adapters where BenchBackend(rawValue: name) == nil || name == "test" {
            throw ValidationError("--adapters: unknown adapter '\(name)' (openai, anthropic, ollama)")
        }
        guard !sizes.isEmpty, sizes.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("--sizes must be positive byte counts")
        }
        if let messages, messages <= 0 { throw ValidationError("--messages must be positive") }
        guard partitions > 0 else { throw ValidationError("--partitions must be positive") }
        guard sends > 0, warmup >= 0 else {
            throw ValidationError("--sends must be positive and --warmup not negative")
        }
        if let lingerMs, lingerMs < 0 { throw ValidationError("--linger-ms must not be negative") }
        guard phaseTimeout > 0 else { throw ValidationError("--phase-timeout must be positive") }
        guard agentRequests > 0, agentSlowRequests > 0, agentInFlight > 0, agentSlowInFlight > 0,
            agentSlowLatencyMs >= 0
        else {
            throw ValidationError(
                """
                --agent-requests, --agent-slow-requests, --agent-in-flight, --agent-slow-in-flight must be \
                positive, --agent-slow-latency-ms not negative
                """
            )
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "kafka-bench")
        logger.logLevel = level

        let lease = try await BrokerLease.acquire(bootstrap: bootstrap, startTimeout: .seconds(30))
        defer { lease.release() }
        ProcessUsage.brokerCPUSeconds = { lease.brokerCPUSeconds }
        progress(
            """
            kafka-bench: broker \(lease.bootstrapServers) \
            (\(lease.startedHere ? "Tansu started here" : "given with --bootstrap"))
            """
        )

        var context = BenchmarkContext(
            bootstrapServers: lease.bootstrapServers, logger: logger, partitions: partitions,
            phaseTimeout: .seconds(phaseTimeout), linger: lingerMs.map { .milliseconds($0) }
        )
        context.agentProfile = LatencyProfile.named(agentProfile) ?? .efficient
        let started = ContinuousClock.now
        if suite.includesKafka {
            try await runKafkaSuite(context: context, lease: lease)
        }
        if suite.includesAgent {
            if suite.includesKafka { print("") }
            try await runAgentSuite(context: context, lease: lease)
        }
        if suite.includesAdapters {
            if suite != .adapters { print("") }
            try await runAdapterSuite(context: context, lease: lease)
        }
        if suite.includesScale {
            if suite != .scale { print("") }
            try await runScaleSuite(context: context, lease: lease)
        }
        if suite.includesLatency {
            if suite != .latency { print("") }
            try await runLatencySuite(context: context, lease: lease)
        }
        if suite.includesLedger {
            if suite != .ledger { print("") }
            try await runLedgerSuite(context: context, lease: lease)
        }
        if suite.includesGateway {
            if suite != .gateway { print("") }
            try await runGatewaySuite(context: context, lease: lease)
        }
        fflush(nil)
        progress(String(format: "kafka-bench: done in %.1f s", (ContinuousClock.now - started).seconds))
    }

    private func runKafkaSuite(context: BenchmarkContext, lease: BrokerLease) async throws {
        let fixedMessages = messages
        let plan = BenchmarkSuite.Plan(
            sizes: sizes,
            messages: { size in fixedMessages ?? (size <= 512 ? 200_000 : 100_000) },
            sends: sends,
            warmup: warmup
        )
        var suite = BenchmarkSuite(context: context, plan: plan)
        do {
            try await suite.run()
        } catch {
            if !suite.rows.isEmpty { print(ResultTable(rows: suite.rows).render()) }
            fflush(nil)
            progress("kafka-bench: FAILED: \(error)")
            throw ExitCode.failure
        }

        print(ResultTable(rows: suite.rows).render())
        print("")
        print(
            brokerLine(lease)
                + """
                ; \(partitions) partitions per topic; producer: idempotent, acks=all, linger \
                \(lingerMs.map { "\($0) ms" } ?? "1 ms (default)").
                """
        )
        print(
            "MB/s counts message values only (1 MB = 10^6 B; 1 KB = 1024 B). Latency columns: send round trip = "
                + "call to acknowledgement; consume->produce = message consumed to its reply acknowledged.")
        for note in suite.notes { print("- \(note)") }
        fflush(nil)
    }

    private func runGatewaySuite(context: BenchmarkContext, lease: BrokerLease) async throws {
        let profile = LatencyProfile.named(gatewayProfile) ?? .interactive
        var suite = GatewaySuite(
            context: context,
            plan: .init(
                sequential: gatewaySequential, concurrent: gatewayConcurrent, concurrencies: [16, 64],
                openRequests: gatewayOpenRequests, batchLines: gatewayBatchLines, profile: profile))
        do {
            try await suite.run()
        } catch {
            if !suite.rows.isEmpty { print(GatewaySuite.render(suite.rows)) }
            fflush(nil)
            progress("kafka-bench: FAILED: \(error)")
            throw ExitCode.failure
        }
        print(GatewaySuite.render(suite.rows))
        print("")
        print(
            brokerLine(lease)
                + """
                ; \(partitions) partitions per topic; the fake upstream in its own process (0 ms), one \
                `provider-agents gateway` process, one router and one openai agent (its adapter calling the fake \
                upstream) in this process, every Kafka client with the latency profile \(profile.name). \
                Latency: the HTTP request to its whole answer, from this process's HTTP client.
                """)
        for target in suite.targets { print("- \(target)") }
        for note in suite.notes { print("- \(note)") }
        fflush(nil)
    }

    private func runLatencySuite(context: BenchmarkContext, lease: BrokerLease) async throws {
        var suite = LatencySuite(
            context: context,
            plan: .init(
                profiles: latencyProfiles.compactMap(LatencyProfile.named), sequential: latencySequential,
                concurrent: latencyConcurrent,
                inFlight: latencyInFlight, warmup: 200, streamChunks: latencyStreamChunks
            ))
        do {
            try await suite.run()
        } catch {
            if !suite.rows.isEmpty { print(LatencySuite.render(suite.rows)) }
            fflush(nil)
            progress("kafka-bench: FAILED: \(error)")
            throw ExitCode.failure
        }
        print(LatencySuite.render(suite.rows))
        print("")
        print(LatencySuite.render(suite.hops))
        print("")
        let profiles = latencyProfiles.compactMap(LatencyProfile.named).map {
            "\($0.name): fetch wait \($0.fetchWait), linger \($0.linger)"
        }
        print(
            brokerLine(lease)
                + """
                ; \(partitions) partitions per topic; one agent (test provider, 0 ms), one router and one \
                ProviderClient in this \

                """
                + "process per profile, on fresh topics. Profiles: \(profiles.joined(separator: "; ")).")
        print(
            """
            Latency: ProviderClient.call → its final answer read from the client's reply topic. Sequential rows: \
            one call at a time; the \

            """
                + """
                others: \(latencyInFlight) in flight; req/s over the phase; CPU: this process (agent, router, \
                client; not the broker) per request. \

                """
                    + """
                    Hops (first profile, sequential): the p50 and p99 of each step, from the workers' observers (same \
                    clock).
                    """
        )
        for note in suite.notes { print("- \(note)") }
        fflush(nil)
    }

    private func runLedgerSuite(context: BenchmarkContext, lease: BrokerLease) async throws {
        let suite = LedgerSuite(context: context, records: ledgerRecords)
        let outcome: LedgerSuite.Outcome
        do {
            outcome = try await suite.run()
        } catch {
            fflush(nil)
            progress("kafka-bench: FAILED: \(error)")
            throw ExitCode.failure
        }
        print(LedgerSuite.render(outcome))
        print("")
        print(
            brokerLine(lease)
                + """
                ; one ledger partition holding \(ResultTable.grouped(ledgerRecords)) records timestamped two hours \
                ago \

                """
                    + """
                    (outside the 10-minute window), written before the agent starts. assigned → first answer: the \
                    agent's request partition \

                    """
                + "assigned → the answer to the first request read back (the ledger index built, the request called).")
        print(
            """
            - target: first answer within 2 s of the assignment: \
            \(outcome.firstAnswer < .seconds(2) ? "met" : "MISSED")
            """
        )
        fflush(nil)
    }

    private func runAgentSuite(context: BenchmarkContext, lease: BrokerLease) async throws {
        let plan = AgentBenchmarkSuite.Plan(
            requests: agentRequests, inFlight: agentInFlight, slowRequests: agentSlowRequests,
            slowLatency: .milliseconds(agentSlowLatencyMs), slowInFlight: agentSlowInFlight
        )
        var suite = AgentBenchmarkSuite(context: context, plan: plan)
        do {
            try await suite.run()
        } catch {
            if !suite.rows.isEmpty { print(AgentResultTable(rows: suite.rows).render()) }
            fflush(nil)
            progress("kafka-bench: FAILED: \(error)")
            throw ExitCode.failure
        }

        print(AgentResultTable(rows: suite.rows).render())
        print("")
        print(
            brokerLine(lease)
                + """
                ; \(partitions) partitions per request/response/ledger topic; one agent, test provider in process, \
                no rate limit; \

                """
                    + """
                    the agent's latency profile: \(agentProfile) (the pass-through and the load producer keep the \
                    project's Kafka defaults: linger 1 ms, fetch wait 100 ms).
                    """
        )
        print(
            """
            After a warm-up of 100 requests per partition, the timed requests are produced as fast as the producer \
            goes. rate: timed requests / \

            """
                + """
                (first timed answer read back from llm.responses → last; pass-through: its output topic); steady: \
                10th → 90th percentile answer. \

                """
                    + """
                    CPU: process user+sys time over the rate window / requests (agent or pass-through, load producer \
                    and answer reader; not the broker). \

                    """
                    + """
                    peak calls: provider calls in progress at once; peak in_flight: the agent's provider_status \
                    metrics.in_flight (every 100 ms). \

                    """
                    + """
                    RSS idle: warmed up, nothing in flight, freed heap given back; RSS peak: when the highest \
                    in_flight was reported; KiB/in-flight = (memory in use then − idle) / in_flight, the memory in \
                    use being the RSS once freed heap is given back (malloc_trim); KiB/in-flight RSS: the same from \
                    the RSS as read, whose high-water mark holds buffers already freed (the load producer's) \

                    """
                + "(MiB = 2^20 B, KiB = 2^10 B).")
        for target in suite.targets { print("- \(target)") }
        for note in suite.notes { print("- \(note)") }
        fflush(nil)
    }

    private func runAdapterSuite(context: BenchmarkContext, lease: BrokerLease) async throws {
        let plan = AdapterBenchmarkSuite.Plan(
            requests: adapterRequests, inFlight: adapterInFlight, slowRequests: adapterSlowRequests,
            slowLatency: .milliseconds(agentSlowLatencyMs), slowInFlight: adapterSlowInFlight,
            backends: adapters.compactMap(BenchBackend.init(rawValue:))
        )
        var suite = AdapterBenchmarkSuite(context: context, plan: plan)
        do {
            try await suite.run()
        } catch {
            if !suite.rows.isEmpty { print(AgentResultTable(rows: suite.rows).render()) }
            fflush(nil)
            progress("kafka-bench: FAILED: \(error)")
            throw ExitCode.failure
        }
        print(AgentResultTable(rows: suite.rows).render())
        print("")
        print(
            brokerLine(lease)
                + """
                ; \(partitions) partitions per topic; one agent with the ledger. Adapters: the real OpenAI / \
                Anthropic / Ollama \

                """
                    + """
                    adapter over HTTP/1.1 to the fake upstream in its own process (latency asked per request), one \
                    HTTP client, a connection per call in flight; \

                    """
                    + """
                    test: the in-process test provider under the same load. CPU counts this process only (agent, load \
                    producer, answer reader), not the \

                    """
                + "fake upstream or the broker. Columns as in the agent table.")
        for note in suite.notes { print("- \(note)") }
        fflush(nil)
    }

    private func runScaleSuite(context: BenchmarkContext, lease: BrokerLease) async throws {
        let plan = ScaleBenchmarkSuite.Plan(
            agentCounts: scaleAgents, inFlight: scaleInFlight, latency: .milliseconds(scaleLatencyMs),
            seconds: scaleSeconds,
            rebalanceAgents: scaleRebalanceAgents, rebalanceRate: Double(scaleRebalanceRate),
            rebalancePhase: .seconds(scaleRebalancePhase),
            agentLogLevel: scaleAgentLogLevel
        )
        var suite = ScaleBenchmarkSuite(context: context, plan: plan)
        do {
            try await suite.run()
        } catch {
            if !suite.throughput.isEmpty { print(ScaleThroughputTable(rows: suite.throughput).render()) }
            fflush(nil)
            progress("kafka-bench: FAILED: \(error)")
            throw ExitCode.failure
        }
        print(ScaleThroughputTable(rows: suite.throughput).render())
        print("")
        print(RebalancePauseTable(rows: suite.rebalances).render())
        print("")
        print(
            brokerLine(lease)
                + """
                ; llm.requests.openai with \(ScaleBenchmarkSuite.partitions) partitions (and ledger, answers), \
                fresh topics per row. \

                """
                    + """
                    Agents: `provider-agents agent` OS processes in one group, backend openai (the real adapter over \
                    HTTP/1.1) against the fake-upstream process \

                    """
                    + """
                    with a fixed \(scaleLatencyMs) ms per call, max_in_flight = max_concurrent_calls = \
                    \(scaleInFlight), no rate limits, ledger on. \

                    """
                    + """
                    Throughput: after the group settled (even split in provider_status) and a warm-up of 10 requests \
                    per partition, a backlog sized for \

                    """
                    + """
                    \(scaleSeconds) s at the bound, request i to partition i % \(ScaleBenchmarkSuite.partitions); \
                    rate: first → last answer read back; steady: 10th → 90th \

                    """
                    + """
                    percentile answer; bound = agents × in-flight / latency; efficiency = steady_N / (N × steady_1); \
                    machine CPU: every core busy = 100% \

                    """
                    + """
                    (Tansu, agents, fake upstream and this process share it); CPU µs/req: user+sys of the agent \
                    processes / of the fake upstream over the phase.
                    """
        )
        print(
            """
            Rebalance: \(scaleRebalanceAgents) agents, a steady \(scaleRebalanceRate) req/s (request i to \
            partition i % \(ScaleBenchmarkSuite.partitions)); one agent joins after \

            """
                + """
                \(scaleRebalancePhase) s; \(scaleRebalancePhase) s after the group settled it leaves again \
                (SIGTERM); the load ends \(scaleRebalancePhase) s after the next settling. \

                """
                    + """
                    pause: the longest time one partition (resp. all of them) went without an answer after the event; \
                    normal gap: the longest per-partition gap \

                    """
                    + """
                    before it; recovered: event → the last answer whose latency (sent → read back) exceeded max(2 × \
                    p99, p99 + 100 ms) of the answers before \

                    """
                + "the event; settled: event → every running agent reports its even share (statuses every 500 ms).")
        for note in suite.notes { print("- \(note)") }
        fflush(nil)
    }

    private func brokerLine(_ lease: BrokerLease) -> String {
        "Broker: "
            + (lease.startedHere ? "Tansu (memory storage) on \(lease.bootstrapServers)" : lease.bootstrapServers)
    }
}
