import AgentCore
import Foundation
import KafkaTestSupport

/// Horizontal scaling of the provider agent: 1, 2, 4 `provider-agents agent` OS processes in one
/// consumer group on the provider's request topic (12 partitions, as `llm.requests.openai`), the
/// real OpenAI adapter calling the `fake-upstream` process (fixed latency, 100 ms by default) with
/// a bounded number of calls in flight per agent, no rate limits.
///
/// - **Throughput**: per configuration, fresh topics and a fresh consumer group (a provider name
///   of its own: Tansu 0.6.0 can keep a departed member as the group's leader, and a reused group
///   then stalls the next configuration's join); once every agent owns its even share of the
///   partitions (their `provider_status`), a warm-up of 10 requests per partition (ledger reads,
///   HTTP connections), then a backlog sized for `seconds` at the theoretical bound (agents ×
///   in-flight / latency), request `i` to partition `i % 12`, every one of which must be answered
///   with a `provider_response` (``AnswerCollector``).
/// - **Rebalance pause**: `rebalanceAgents` agents under a steady paced load; after `rebalancePhase`
///   one more agent joins; `rebalancePhase` after the group has settled again, that agent leaves
///   (SIGTERM); `rebalancePhase` after the next settling the load ends. ``RebalancePause``
///   measures each event on the answers' timeline.
struct ScaleBenchmarkSuite {
    struct Plan: Sendable {
        var agentCounts: [Int]
        /// Each agent's `max_in_flight` = `max_concurrent_calls`.
        var inFlight: Int
        /// The fake upstream's latency per call.
        var latency: Duration
        /// Timed seconds per throughput configuration, at the bound.
        var seconds: Int
        /// Agents before the join, offered load, and the steady time before the join and after
        /// each settling of the rebalance scenario.
        var rebalanceAgents: Int
        var rebalanceRate: Double
        var rebalancePhase: Duration
        /// The agents' `--log-level` (their logs go to files in the temporary directory).
        var agentLogLevel = "info"
    }

    static let partitions = 12
    static let model = "gpt-4o-mini"

    let context: BenchmarkContext
    let plan: Plan
    private(set) var throughput: [ScaleThroughputTable.Row] = []
    private(set) var rebalances: [RebalancePauseTable.Row] = []
    private(set) var notes: [String] = []

    init(context: BenchmarkContext, plan: Plan) {
        self.context = context
        self.plan = plan
    }

    mutating func run() async throws {
        let agentExecutable = try siblingExecutable("provider-agents")
        let milliseconds = Int((plan.latency.seconds * 1000).rounded())
        let upstream = try await AdapterBenchmarkSuite.startFakeUpstream(arguments: ["--latency-ms", "\(milliseconds)"])
        do {
            for agents in plan.agentCounts {
                let (row, note) = try await measureThroughput(
                    agents: agents, executable: agentExecutable, upstream: upstream)
                throughput.append(row)
                if let note { notes.append(note) }
                progress(
                    String(
                        format: "  -> %d agent(s): %.0f req/s end to end, %.0f steady (bound %.0f)", agents,
                        row.rate ?? 0, row.steadyRate ?? 0, row.bound))
            }
            if let one = throughput.first(where: { $0.agents == 1 })?.steadyRate {
                for index in throughput.indices {
                    throughput[index].efficiency = throughput[index].steadyRate.map {
                        $0 / (Double(throughput[index].agents) * one)
                    }
                }
            }
            try await measureRebalances(executable: agentExecutable, upstream: upstream)
        } catch {
            await upstream.process.terminate()
            throw error
        }
        if let cpu = upstream.process.cpuSeconds {
            notes.append(String(format: "fake upstream process: %.1f s CPU over the suite", cpu))
        }
        await upstream.process.terminate()
    }

    /// The agents' configuration: the OpenAI adapter against the fake upstream, bounded in flight,
    /// no rate limits (no provider-wide limit, no per-model tiers), status every 500 ms.
    private func agentSettings(upstream: String) -> [String] {
        [
            "backend: openai", "models: [\(Self.model)]", "model_limits: none",
            "max_in_flight: \(plan.inFlight)", "max_concurrent_calls: \(plan.inFlight)",
            "session_timeout_ms: 6000", "status_interval_ms: 500",
            "http: { base_url: \"\(upstream)\" }",
        ]
    }

    private func makeGroup(_ name: String, executable: String, upstream: String) async throws -> AgentProcessGroup {
        var environment = ProcessInfo.processInfo.environment
        environment["OPENAI_API_KEY"] = "sk-bench"
        return try await AgentProcessGroup(
            executable: executable, bootstrapServers: context.bootstrapServers, provider: uniqueName("openai"),
            prefix: uniqueName("bench-\(name)") + ".", partitions: Self.partitions, answerPartitions: Self.partitions,
            agentSettings: agentSettings(upstream: upstream), environment: environment
        )
    }

    private static func instances(_ range: Range<Int>) -> [String] { range.map { "agent-\($0 + 1)" } }

    private var agentArguments: [String] { ["--log-level", plan.agentLogLevel] }

    // MARK: Throughput

    private func measureThroughput(agents: Int, executable: String, upstream: (process: ChildProcess, baseURL: String))
        async throws -> (row: ScaleThroughputTable.Row, note: String?)
    {
        let bound = Double(agents * plan.inFlight) / plan.latency.seconds
        let warmup = 10 * Self.partitions
        let requests = Int((bound * Double(plan.seconds)).rounded())
        let group = try await makeGroup("scale-\(agents)", executable: executable, upstream: upstream.baseURL)
        let board = try await ProviderStatusBoard(bootstrapServers: context.bootstrapServers, topic: group.statusTopic)
        let collector: AnswerCollector
        let producer: LoadProducer
        do {
            collector = try AnswerCollector(
                context: context,
                expectation: .init(
                    topic: group.responseTopic, signalType: "provider_response",
                    failureTopics: [group.errorTopic, group.deadLetterTopic], partitions: Self.partitions),
                total: warmup + requests, timedFrom: warmup, boundedPrefetch: false
            )
            do {
                producer = try await LoadProducer(context: context)
            } catch {
                await collector.close(context)
                throw error
            }
        } catch {
            await board.close()
            throw error
        }
        do {
            let row = try await group.run {
                let names = Self.instances(0..<agents)
                progress(
                    """
                    [scale \(agents)] \(agents) agent process(es), \(plan.inFlight) in flight each, upstream \
                    \(Int(plan.latency.seconds * 1000)) ms; waiting for the group
                    """
                )
                let processes = try names.map { try group.start($0, arguments: agentArguments) }
                let joinStarted = ContinuousClock.now
                try await board.waitForEvenSplit(
                    among: Set(names), partitions: Self.partitions, timeout: context.phaseTimeout)
                let joined = ContinuousClock.now - joinStarted
                let load = RequestLoad(model: Self.model)
                try await producer.send(
                    load.messages(0..<warmup, topic: group.requestTopic, partitions: Self.partitions))
                try await collector.waitForAnswers(warmup, timeout: context.phaseTimeout)
                progress(
                    String(
                        format: "[scale \(agents)] group settled after %.1f s; warmed up; \(requests) timed requests",
                        joined.seconds))

                let messages = load.messages(
                    warmup..<(warmup + requests), topic: group.requestTopic, partitions: Self.partitions)
                let machineBefore = Self.machineCPU()
                let agentsBefore = processes.compactMap(\.cpuSeconds).reduce(0, +)
                let upstreamBefore = upstream.process.cpuSeconds
                try await producer.send(messages)
                let answers = try await collector.outcome(timeout: context.phaseTimeout)
                let agentsCPU = processes.compactMap(\.cpuSeconds).reduce(0, +) - agentsBefore
                let upstreamCPU = upstream.process.cpuSeconds.flatMap { now in upstreamBefore.map { now - $0 } }
                let machine = Self.busyPercent(since: machineBefore)
                let seconds = answers.elapsed.seconds
                let (filled, accepted) = (collector.gaps.filled, collector.gaps.accepted)
                let note =
                    filled + accepted == 0
                    ? nil
                    : """
                    \(agents) agent(s): the broker served \(filled + accepted) offset gap(s) to the answer reader, \
                    \(filled) filled by reading again
                    """
                return (
                    ScaleThroughputTable.Row(
                        agents: agents, inFlight: plan.inFlight, requests: requests,
                        rate: seconds > 0 ? Double(answers.answers) / seconds : nil, steadyRate: answers.steadyRate,
                        bound: bound,
                        machineBusyPercent: machine,
                        agentMicroseconds: agentsCPU * 1e6 / Double(requests),
                        upstreamMicroseconds: upstreamCPU.map { $0 * 1e6 / Double(requests) }
                    ), note
                )
            }
            await Self.close(collector: collector, producer: producer, board: board, context: context)
            return row
        } catch {
            await Self.close(collector: collector, producer: producer, board: board, context: context)
            throw error
        }
    }

    private static func close(
        collector: AnswerCollector, producer: LoadProducer, board: ProviderStatusBoard, context: BenchmarkContext
    ) async {
        await producer.close()
        await collector.close(context)
        await board.close()
    }

    /// The machine's cumulative CPU times (`/proc/stat`), `nil` where unreadable.
    static func machineCPU() -> CPUTimes? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return nil }
        return try? CPUTimes.parse(procStat: text)
    }

    /// The whole machine's CPU busy share since `earlier` (all cores: 100% = every core busy).
    static func busyPercent(since earlier: CPUTimes?) -> Double? {
        guard let earlier, let now = machineCPU() else { return nil }
        return now.busyPercent(since: earlier)
    }

    // MARK: Rebalance pause

    private mutating func measureRebalances(executable: String, upstream: (process: ChildProcess, baseURL: String))
        async throws
    {
        let base = plan.rebalanceAgents
        let group = try await makeGroup("rebalance", executable: executable, upstream: upstream.baseURL)
        let board = try await ProviderStatusBoard(bootstrapServers: context.bootstrapServers, topic: group.statusTopic)
        let timeline: AnswerTimeline
        let producer: PacedProducer
        do {
            timeline = try AnswerTimeline(
                context: context, responseTopic: group.responseTopic, errorTopic: group.errorTopic,
                deadLetterTopic: group.deadLetterTopic, partitions: Self.partitions
            )
            do {
                producer = try PacedProducer(bootstrapServers: context.bootstrapServers)
                try await producer.connect()
            } catch {
                await timeline.close(context)
                throw error
            }
        } catch {
            await board.close()
            throw error
        }
        do {
            let (rows, extra) = try await group.run {
                try await rebalanceRun(group: group, board: board, timeline: timeline, producer: producer, base: base)
            }
            rebalances = rows
            notes += extra
        } catch {
            await producer.close()
            await timeline.close(context)
            await board.close()
            throw error
        }
        await producer.close()
        await timeline.close(context)
        await board.close()
    }

    private func rebalanceRun(
        group: AgentProcessGroup, board: ProviderStatusBoard, timeline: AnswerTimeline, producer: PacedProducer,
        base: Int
    ) async throws -> ([RebalancePauseTable.Row], [String]) {
        let partitions = Self.partitions
        let first = Self.instances(0..<base)
        let joining = Self.instances(base..<(base + 1))[0]
        progress(
            """
            [rebalance] \(base) agent process(es), then \(joining) joins, then leaves again (SIGTERM); \
            \(Int(plan.rebalanceRate)) req/s offered
            """
        )
        for name in first { try group.start(name, arguments: agentArguments) }
        let before = try await board.waitForEvenSplit(
            among: Set(first), partitions: partitions, timeout: context.phaseTimeout)

        let load = RequestLoad(model: Self.model)
        let topic = group.requestTopic
        let warmup = 10 * partitions
        _ = try await producer.send(count: warmup, perSecond: 10_000) {
            load.message(index: $0, topic: topic, time: RequestLoad.now(), partition: Int32($0 % partitions))
        }
        try await timeline.waitForAnswers(0..<warmup, timeout: context.phaseTimeout)

        // The steady load runs until cancelled (at most 10 minutes' worth).
        let phase = plan.rebalancePhase
        let rate = plan.rebalanceRate
        let start = ContinuousClock.now + .milliseconds(100)
        let loadTask = Task {
            try await producer.send(count: Int(rate * 600), perSecond: rate, from: start) { offset in
                load.message(
                    index: warmup + offset, topic: topic, time: RequestLoad.now(),
                    partition: Int32((warmup + offset) % partitions))
            }
        }
        let machineBefore = Self.machineCPU()
        var join = start
        var leave = start
        var joinSettled: Duration?
        var leaveSettled: Duration?
        var left: Duration?
        var afterJoin: [String: Set<Int>]?
        var afterLeave: [String: Set<Int>]?
        let loadEnd: ContinuousClock.Instant
        let sentInstants: [ContinuousClock.Instant]
        do {
            try await Task.sleep(until: start + phase, clock: .continuous)
            join = ContinuousClock.now
            try group.start(joining, arguments: agentArguments)
            afterJoin = try? await board.waitForEvenSplit(
                among: Set(first + [joining]), partitions: partitions, timeout: context.phaseTimeout)
            joinSettled = afterJoin.map { _ in ContinuousClock.now - join }
            progress(
                String(
                    format: "[rebalance] %@ joined %.1f s into the load, settled after %@", joining,
                    (join - start).seconds, joinSettled.map { String(format: "%.1f s", $0.seconds) } ?? "-"))

            // The agent that joined leaves again (the group's leader stays: see the notes).
            try await Task.sleep(until: .now + phase, clock: .continuous)
            leave = ContinuousClock.now
            let stopping = Task { [leave] in
                _ = await group.stop(joining)
                return ContinuousClock.now - leave
            }
            afterLeave = try? await board.waitForEvenSplit(
                among: Set(first), partitions: partitions, timeout: context.phaseTimeout)
            leaveSettled = afterLeave.map { _ in ContinuousClock.now - leave }
            left = await stopping.value
            progress(
                String(
                    format: "[rebalance] %@ left %.1f s into the load, settled after %@", joining,
                    (leave - start).seconds, leaveSettled.map { String(format: "%.1f s", $0.seconds) } ?? "-"))
            try await Task.sleep(until: .now + phase, clock: .continuous)
            loadEnd = ContinuousClock.now
            loadTask.cancel()
            sentInstants = try await loadTask.value
        } catch {
            loadTask.cancel()
            _ = try? await loadTask.value
            throw error
        }
        try await producer.flush()
        let count = sentInstants.count
        try await timeline.waitForAnswers(warmup..<(warmup + count), timeout: context.phaseTimeout)
        let machine = Self.busyPercent(since: machineBefore)

        var sent: [Int: ContinuousClock.Instant] = [:]
        for (offset, instant) in sentInstants.enumerated() { sent[warmup + offset] = instant }
        let entries = timeline.snapshot
        let answered = RebalancePause.firstAnswers(entries).filter { $0.key >= warmup }
        let baselineSpan = phase / 2
        let joinPause = RebalancePause(
            event: join, windowEnd: leave, baselineSpan: baselineSpan, sent: sent, answered: answered,
            partitions: partitions)
        let leavePause = RebalancePause(
            event: leave, windowEnd: loadEnd, baselineSpan: baselineSpan, sent: sent, answered: answered,
            partitions: partitions)
        let rows = [
            RebalancePauseTable.Row(
                event: "join (\(base) → \(base + 1))", at: (join - start).seconds,
                moved: afterJoin.map { Self.moved(from: before, to: $0) }, settled: joinSettled, pause: joinPause
            ),
            RebalancePauseTable.Row(
                event: "leave (\(base + 1) → \(base))", at: (leave - start).seconds,
                moved: afterJoin.flatMap { join in afterLeave.map { Self.moved(from: join, to: $0) } },
                settled: leaveSettled, pause: leavePause
            ),
        ]
        var notes: [String] = []
        let failures = Dictionary(grouping: entries.compactMap(\.failure), by: { $0 }).mapValues(\.count)
        let distinct = Set(entries.map(\.index)).count
        let errors =
            failures.isEmpty
            ? "none" : failures.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        let seconds = String(format: "%.0f", (loadEnd - start).seconds)
        notes.append(
            "rebalance: \(ResultTable.grouped(count)) requests at \(Int(rate)) req/s over \(seconds) s, "
                + "\(entries.count - distinct) duplicate answer(s), errors: \(errors)"
                + (machine.map { String(format: ", machine CPU %.0f%%", $0) } ?? "")
        )
        if let left {
            notes.append(String(format: "rebalance: %@ exited %.1f s after SIGTERM", joining, left.seconds))
        }
        if timeline.gaps.filled + timeline.gaps.accepted > 0 {
            notes.append(
                """
                rebalance: the broker served \(timeline.gaps.filled + timeline.gaps.accepted) offset gap(s) to the \
                answer reader, \(timeline.gaps.filled) filled by reading again
                """
            )
        }
        if joinSettled == nil || leaveSettled == nil {
            notes.append(
                """
                rebalance: the group did not settle to an even split within \(context.phaseTimeout) after the \
                \(joinSettled == nil ? "join" : "leave")
                """
            )
        }
        return (rows, notes)
    }

    /// Partitions whose owner differs between two splits.
    private static func moved(from before: [String: Set<Int>], to after: [String: Set<Int>]) -> Int {
        func owners(_ split: [String: Set<Int>]) -> [Int: String] {
            var owner: [Int: String] = [:]
            for (instance, partitions) in split { for partition in partitions { owner[partition] = instance } }
            return owner
        }
        let (old, new) = (owners(before), owners(after))
        return Set(old.keys).union(new.keys).filter { old[$0] != new[$0] }.count
    }
}
