import Foundation
import Kafka
import KafkaTestSupport
import Signals
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Agents as separate OS processes (`provider-agents agent`) on Tansu: a SIGKILL mid-run and a
/// restart, and two processes sharing one provider-wide rate limit.
@Suite("Agent processes: crash and restart, cluster-wide limit", .timeLimit(.minutes(4)))
struct AgentProcessTests {
    struct Cluster {
        let broker: TansuBroker
        let provider: String
        let prefix: String
        let config: String
        let partitions: Int

        init(partitions: Int = 4, agentSettings: [String]) async throws {
            broker = try await TansuBroker.shared()
            provider = uniqueName("proc")
            prefix = uniqueName("agentproc") + "."
            self.partitions = partitions
            for (topic, count) in [
                ("llm.requests.\(provider)", partitions), ("llm.ledger.\(provider)", partitions),
                ("llm.control.\(provider)", 1),
                ("llm.responses", 3), ("llm.errors", 3), ("llm.status", 1), ("llm.dlq", 1),
            ] {
                try await broker.createTopic(prefix + topic, partitions: count)
            }
            config =
                FileManager.default.temporaryDirectory.appendingPathComponent(uniqueName("agent-config") + ".yaml").path
            let lines =
                [
                    "agents:", "  \(provider):", "    models: [test-model]", "    session_timeout_ms: 6000",
                    "    status_interval_ms: 500",
                ]
                + agentSettings.map { "    " + $0 }
            try lines.joined(separator: "\n").write(toFile: config, atomically: true, encoding: .utf8)
        }

        func topic(_ name: String) -> String { prefix + name }
        var requestTopic: String { topic("llm.requests.\(provider)") }

        func start(_ instance: String, callLog: String, latency: String, logFile: String? = nil) throws -> ChildProcess
        {
            try ChildProcess(
                executable: AgentCommandTests.cliPath,
                arguments: [
                    "agent", "--provider", provider, "--config", config, "--bootstrap", broker.bootstrapServers,
                    "--topic-prefix", prefix, "--instance-id", instance, "--test-latency", latency,
                    "--test-call-log", callLog, "--log-level", "info",
                ],
                logFile: logFile ?? AgentCommandTests.logFile("agent-\(instance)")
            )
        }

        func request(_ id: String) -> KafkaProducerMessage {
            let value =
                #"""
                {"type":"provider_request","data":{"request_id":"\#(id)","messages":[{"role":"user","content":"hi \#
                \#(id)"}],"max_tokens":32}}
                """#
            return KafkaProducerMessage(topic: requestTopic, key: id, value: value)
        }

        func produce(_ ids: [String]) async throws {
            let producer = try KafkaProducer(configuration: .init(bootstrapServers: broker.bootstrapServers))
            for id in ids { try await producer.enqueue(request(id)) }
            try await producer.flush(timeout: .seconds(30))
            await producer.close()
        }

        /// A client of the agents' group that never joins it, to read its committed offsets.
        func groupProbe() throws -> KafkaConsumer {
            var probe = KafkaConsumerConfiguration(
                bootstrapServers: broker.bootstrapServers, groupID: prefix + "llm-provider-\(provider)")
            probe.sessionTimeout = .seconds(6)
            return try KafkaConsumer(configuration: probe)
        }

        var requestPartitions: [TopicPartition] {
            (0..<partitions).map { TopicPartition(topic: requestTopic, partition: Int32($0)) }
        }

        func committedTotal() async throws -> Int64 {
            let reader = try groupProbe()
            defer { Task { try? await reader.close() } }
            return try await reader.committed(requestPartitions).values.reduce(0, +)
        }

        /// Committed offset and high watermark per request partition, for a failure's message.
        func progress() async -> String {
            guard let reader = try? groupProbe() else { return "no reader" }
            defer { Task { try? await reader.close() } }
            let committed = (try? await reader.committed(requestPartitions)) ?? [:]
            var parts: [String] = []
            for partition in requestPartitions {
                let high = try? await reader.watermarks(of: partition).high
                parts.append(
                    """
                    p\(partition.partition): committed \(committed[partition].map(String.init) ?? "none"), end as \
                    the broker reports it \(high.map(String.init) ?? "?")
                    """
                )
            }
            return parts.joined(separator: ", ")
        }
    }

    /// The request ids of the calls a `--test-call-log` records as started, in order.
    static func calls(_ path: String) -> [String] {
        lines(path).filter { $0.count == 3 }.map { String($0[1]) }
    }

    /// How many calls the log shows started and not yet returned.
    static func callsInProgress(_ path: String) -> Int {
        let lines = lines(path)
        return lines.filter { $0.count == 3 }.count - lines.filter { $0.count == 4 }.count
    }

    private static func lines(_ path: String) -> [[Substring]] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map {
            $0.split(separator: " ")
        }
    }

    static func callLog(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent(uniqueName(name) + ".calls").path
    }

    static func statuses(_ messages: [KafkaConsumerMessage]) -> [ProviderStatus] {
        messages.compactMap { message in
            guard case .providerStatus(let status)? = try? SignalEnvelope.decode(message.value).signal else {
                return nil
            }
            return status
        }
    }

    @Test(
        """
        SIGKILL mid-run, then a restart: every request answered, the provider re-called only for requests in \
        flight at the kill (counted), never for one the ledger recorded as answered
        """
    )
    func killAndRestart() async throws {
        let cluster = try await Cluster(agentSettings: ["max_in_flight: 200", "max_concurrent_calls: 200"])
        defer { try? FileManager.default.removeItem(atPath: cluster.config) }
        let ids = (0..<4_000).map { "k-\($0)" }
        try await cluster.produce(ids)
        let callsA = Self.callLog("a")
        let callsB = Self.callLog("b")
        let answersWatcher = try await TopicWatcher(
            bootstrapServers: cluster.broker.bootstrapServers,
            topics: [cluster.topic("llm.responses"), cluster.topic("llm.errors")])

        let first = try cluster.start("a", callLog: callsA, latency: "uniform:200-800")
        // Killed mid-run, with calls in flight: some answered, at least 50 calls at the provider
        // (counted from the call log, not from answers seen: on a busy machine answers can wait
        // for the broker while no call is running).
        try await waitUntil("the first agent answered 500 requests and has 50 calls in flight", timeout: .seconds(90)) {
            answersWatcher.messages.count >= 500 && Self.callsInProgress(callsA) >= 50
        }
        first.send(SIGKILL)
        try await waitUntil("the first agent is gone") { !first.isRunning }
        let answeredBeforeKill = Set(answersWatcher.messages.compactMap(\.keyString))
        #expect(answeredBeforeKill.count < ids.count, "killed mid-run")

        let logB = AgentCommandTests.logFile("agent-b")
        let second = try cluster.start("b", callLog: callsB, latency: "uniform:200-800", logFile: logB)
        defer { second.stop(grace: .seconds(20)) }
        try await answersWatcher.wait(until: "every request answered", timeout: .seconds(120)) { messages in
            Set(messages.compactMap(\.keyString)).count >= ids.count
        }
        do {
            try await waitUntil("committed offsets cover all 4,000 requests", timeout: .seconds(60)) {
                try await cluster.committedTotal() == Int64(ids.count)
            }
        } catch {
            let log = AgentCommandTests.output(logB).split(separator: "\n").filter {
                !$0.contains("reaches the provider again")
            }
            Issue.record(
                """
                \(await cluster.progress()); the second agent's log \
                (\(logB)):\n\(log.suffix(40).joined(separator: "\n"))
                """
            )
            throw error
        }
        second.send(SIGTERM)
        try await waitUntil("the second agent stopped", timeout: .seconds(40)) { !second.isRunning }
        #expect(second.exitCode == 0)
        let answers = answersWatcher.messages
        await answersWatcher.close()

        // What reached the provider, per process.
        let calledA = Self.calls(callsA)
        let calledB = Self.calls(callsB)
        #expect(Set(calledA).count == calledA.count, "the first process called each request at most once")
        #expect(Set(calledB).count == calledB.count, "the second process called each request at most once")
        #expect(Set(calledA).union(calledB) == Set(ids), "every request reached the provider")
        let recalled = Set(calledA).intersection(calledB)
        #expect(recalled.count <= 200, "only requests in flight at the kill (at most max_in_flight): \(recalled.count)")
        #expect(!recalled.isEmpty, "calls were in flight at the kill")

        // The ledger: every recalled request was only `started` by the first process, never answered.
        let ledgerWatcher = try await TopicWatcher(
            bootstrapServers: cluster.broker.bootstrapServers, topics: [cluster.topic("llm.ledger.\(cluster.provider)")]
        )
        // Ledger messages are batches of records, one per line.
        @Sendable func records(_ messages: [KafkaConsumerMessage]) -> [[String: Any]] {
            messages.flatMap { $0.value.split(separator: 0x0A) }.compactMap {
                try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any]
            }
        }
        let provider = cluster.provider
        @Sendable func worker(_ instance: String) -> String { "agent/\(provider)/\(instance)" }
        let ledger = try await ledgerWatcher.wait(until: "the second agent's ledger records") { messages in
            records(messages).filter { $0["worker"] as? String == worker("b") && $0["state"] as? String == "done" }
                .count >= calledB.count
        }
        await ledgerWatcher.close()
        var answeredByA = Set<String>()
        var startedByA = Set<String>()
        for record in records(ledger) {
            guard record["worker"] as? String == worker("a"), let id = record["request_id"] as? String else { continue }
            if record["state"] as? String == "done" { answeredByA.insert(id) } else { startedByA.insert(id) }
        }
        #expect(
            recalled.isDisjoint(with: answeredByA),
            """
            never re-called after the ledger recorded an answer: \
            \(recalled.intersection(answeredByA).sorted().prefix(5))
            """
        )
        #expect(recalled.isSubset(of: startedByA), "every recalled request was started by the first process")

        // Counted by the second process: recalls and replays from the ledger.
        let statusWatcher = try await TopicWatcher(
            bootstrapServers: cluster.broker.bootstrapServers, topics: [cluster.topic("llm.status")])
        let statusMessages = try await statusWatcher.wait(until: "the second agent's final status") { messages in
            Self.statuses(messages).contains { $0.instance == "b" && $0.status == "stopped" }
        }
        await statusWatcher.close()
        let final = try #require(Self.statuses(statusMessages).last { $0.instance == "b" && $0.status == "stopped" })
        let recalls = try #require(final.metrics.providerRecalls)
        let repeats = try #require(final.metrics.ledgerRepeats)
        // Counted per request the ledger shows started and never answered by the first process:
        // every real recall, plus those killed between `started` and the call itself (counted
        // conservatively, since the agent cannot tell them apart).
        let unfinished = startedByA.subtracting(answeredByA)
        #expect(
            recalls == unfinished.count, "recalls counted: \(recalls) for \(unfinished.count) started, never answered")
        #expect(recalled.isSubset(of: unfinished))
        #expect(recalls <= 200, "bounded by the first process's max_in_flight")

        // At the client: every request answered; extra answers are only replays from the ledger,
        // byte for byte the first answer.
        var byID: [String: [String]] = [:]
        for message in answers { byID[message.keyString ?? "", default: []].append(message.valueString) }
        #expect(Set(byID.keys) == Set(ids))
        let duplicated = byID.filter { $0.value.count > 1 }
        #expect(duplicated.count <= repeats, "duplicates \(duplicated.count) are replays (\(repeats))")
        let differing = duplicated.filter { Set($0.value).count > 1 }.sorted { $0.key < $1.key }
        #expect(
            differing.isEmpty,
            """
            a replayed answer is identical to the first; differing: \
            \(differing.prefix(2).map { "\($0.key): \($0.value)" })
            """
        )
        print(
            """
            kill-and-restart: answered before kill \(answeredBeforeKill.count), calls A \(calledA.count), B \
            \(calledB.count), re-called \(recalled.count), recalls counted \(recalls), ledger replays \(repeats), \
            duplicate answers \(duplicated.count)
            """
        )
    }

    @Test(
        """
        two agent processes in one group never admit more than the provider-wide limit per window (within one \
        request per instance)
        """
    )
    func globalLimitAcrossProcesses() async throws {
        let cluster = try await Cluster(agentSettings: [
            "rate_limit: { strategy: sliding_window, requests_per_window: 30, window_ms: 120000 }"
        ])
        defer { try? FileManager.default.removeItem(atPath: cluster.config) }
        let statusWatcher = try await TopicWatcher(
            bootstrapServers: cluster.broker.bootstrapServers, topics: [cluster.topic("llm.status")])
        let callsA = Self.callLog("limit-a")
        let callsB = Self.callLog("limit-b")
        let first = try cluster.start("a", callLog: callsA, latency: "fixed:1")
        defer { first.stop(grace: .seconds(20)) }
        let second = try cluster.start("b", callLog: callsB, latency: "fixed:1")
        defer { second.stop(grace: .seconds(20)) }
        try await statusWatcher.wait(until: "both instances enforce half of the limit", timeout: .seconds(90)) {
            messages in
            var latest: [String: ProviderStatus] = [:]
            for status in Self.statuses(messages) { latest[status.instance ?? ""] = status }
            return latest["a"]?.rateLimiter.limit == 15 && latest["b"]?.rateLimiter.limit == 15
                && latest["a"]?.ownedPartitions?.count == 2 && latest["b"]?.ownedPartitions?.count == 2
        }
        await statusWatcher.close()

        let ids = (0..<300).map { "g-\($0)" }
        try await cluster.produce(ids)
        let answersWatcher = try await TopicWatcher(
            bootstrapServers: cluster.broker.bootstrapServers,
            topics: [cluster.topic("llm.responses"), cluster.topic("llm.errors")])
        let answers = try await answersWatcher.wait(until: "300 answers", timeout: .seconds(60)) {
            $0.count >= ids.count
        }
        await answersWatcher.close()

        var admitted: [String: Int] = [:]
        var refused = 0
        for message in answers {
            switch try SignalEnvelope.decode(message.value).signal {
            case .providerResponse(let response): admitted[response.instance ?? "", default: 0] += 1
            case .providerError(let error):
                #expect(error.errorType == .rateLimited)
                #expect((error.retryAfterMs ?? 0) > 0)
                refused += 1
            default: Issue.record("unexpected answer \(message.valueString)")
            }
        }
        let total = admitted.values.reduce(0, +)
        #expect(total <= 30 + 2, "global limit 30 per window, within one per instance: admitted \(admitted)")
        #expect(admitted.values.allSatisfy { $0 <= 15 + 1 }, "each instance within its share: \(admitted)")
        #expect(total >= 28, "the limit is used, not starved: \(admitted)")
        #expect(total + refused == ids.count)
        #expect(
            Self.calls(callsA).count + Self.calls(callsB).count == total, "refused requests never reach the provider")
    }
}
