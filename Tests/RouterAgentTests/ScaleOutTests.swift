import Foundation
import Kafka
import KafkaTestSupport
import ProviderClient
import Signals
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Agents and routers as separate OS processes on Tansu, the fake upstream as another: crashes of
/// an agent and a router mid-run, with replacements.
@Suite("Scale-out: agent and router processes", .timeLimit(.minutes(8)))
struct ScaleOutTests {
    static let binDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    static var cli: String { binDirectory.appendingPathComponent("provider-agents").path }
    static var fake: String { binDirectory.appendingPathComponent("fake-upstream").path }

    static func temporaryFile(_ name: String, _ suffix: String = ".log") -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent(uniqueName(name) + suffix).path
    }

    /// The processes of one scale-out cluster, stopped together.
    final class Processes: Sendable {
        let all = Mutex<[String: ChildProcess]>([:])

        func add(_ name: String, _ process: ChildProcess) { all.withLock { $0[name] = process } }
        func get(_ name: String) -> ChildProcess? { all.withLock { $0[name] } }

        /// SIGTERM to all at once, then waits for each.
        func stopAll() {
            let processes = all.withLock { Array($0.values) }
            for process in processes { process.send(SIGTERM) }
            for process in processes { process.stop(grace: .seconds(20)) }
        }
    }

    @Test(
        """
        3 agent processes per provider, 2 routers, the fake upstream; 5,000 requests; one agent and one router \
        SIGKILLed and replaced: every request gets a final answer, duplicates counted
        """
    )
    func crashesAndReplacements() async throws {
        let broker = try await TansuBroker.shared()
        let prefix = uniqueName("scale") + "."
        let replyTopic = prefix + "client.replies"
        for provider in ["openai", "anthropic"] {
            try await broker.createTopic(prefix + "llm.requests.\(provider)", partitions: 12)
            try await broker.createTopic(prefix + "llm.ledger.\(provider)", partitions: 12)
            try await broker.createTopic(prefix + "llm.control.\(provider)", partitions: 1)
        }
        for (topic, partitions) in [
            ("llm.responses", 3), ("llm.errors", 6), ("llm.status", 3), ("llm.dlq", 1), ("llm.router.requests", 6),
            ("llm.router.journal", 6), ("llm.router.delays", 9),
        ] {
            try await broker.createTopic(prefix + topic, partitions: partitions)
        }
        try await broker.createTopic(replyTopic, partitions: 6)

        let processes = Processes()
        let status = try await TopicWatcher(bootstrapServers: broker.bootstrapServers, topics: [prefix + "llm.status"])
        do {
            // The fake upstream: 20 ms per call, 2% of OpenAI calls a 503 (handed back to the routers).
            let port = try freeLoopbackPort()
            let fakeConfig = Self.temporaryFile("scale-fake", ".yaml")
            try """
            latency: "fixed:20ms"
            faults:
              - {fault: "503", provider: openai, probability: 0.02, seed: 7}
            """.write(toFile: fakeConfig, atomically: true, encoding: .utf8)
            let fakeLog = Self.temporaryFile("scale-fake")
            processes.add(
                "fake",
                try ChildProcess(
                    executable: Self.fake, arguments: ["--port", "\(port)", "--config", fakeConfig], logFile: fakeLog))
            try await waitUntil("the fake upstream listens", timeout: .seconds(30)) {
                ((try? String(contentsOfFile: fakeLog, encoding: .utf8)) ?? "").contains("listening")
            }

            let config = Self.temporaryFile("scale-config", ".yaml")
            try """
            kafka:
              topic_prefix: "\(prefix)"
            x-agent: &agent
              max_in_flight: 128
              max_concurrent_calls: 128
              session_timeout_ms: 6000
              status_interval_ms: 2000
              drain_timeout_ms: 5000
              model_limits: none
              circuit_breaker: { consecutive_failures: 1000 }
              http: { base_url: "http://127.0.0.1:\(port)" }
            agents:
              openai:
                <<: *agent
                backend: openai
                models: [gpt-4o-mini]
              anthropic:
                <<: *agent
                backend: anthropic
                models: [claude-haiku-4-5]
            router:
              strategy: least_loaded
              model_map: { chat: [openai/gpt-4o-mini, anthropic/claude-haiku-4-5] }
              max_attempts: 4
              backoff_base_ms: 20
              session_timeout_ms: 6000
              drain_timeout_ms: 5000
            """.write(toFile: config, atomically: true, encoding: .utf8)
            let environment = ProcessInfo.processInfo.environment.merging([
                "OPENAI_API_KEY": "sk-test", "ANTHROPIC_API_KEY": "sk-ant-test",
            ]) { _, new in new }
            func startAgent(_ provider: String, _ instance: String) throws {
                processes.add(
                    instance,
                    try ChildProcess(
                        executable: Self.cli,
                        arguments: [
                            "agent", "--provider", provider, "--config", config, "--bootstrap", broker.bootstrapServers,
                            "--instance-id", instance, "--log-level", "info",
                        ],
                        environment: environment, logFile: Self.temporaryFile("scale-\(instance)")
                    ))
            }
            func startRouter(_ instance: String) throws {
                processes.add(
                    instance,
                    try ChildProcess(
                        executable: Self.cli,
                        arguments: [
                            "router", "--config", config, "--bootstrap", broker.bootstrapServers, "--instance-id",
                            instance, "--log-level", "info",
                        ],
                        logFile: Self.temporaryFile("scale-\(instance)")
                    ))
            }
            for provider in ["openai", "anthropic"] {
                for n in 1...3 { try startAgent(provider, "\(provider)-\(n)") }
            }
            try startRouter("r1")
            try startRouter("r2")
            // Every agent reported; the routers read the registry at start, so they start routing at once.
            try await status.wait(until: "six agent instances report", timeout: .seconds(90)) { messages in
                Set(
                    messages.compactMap { message -> String? in
                        guard case .providerStatus(let s)? = try? SignalEnvelope.decode(message.value).signal else {
                            return nil
                        }
                        return s.instance
                    }
                ).count >= 6
            }

            // The client: a ProviderClient on its own reply topic, deduplicating by request id.
            var clientConfiguration = ProviderClientConfiguration(
                bootstrapServers: broker.bootstrapServers, clientID: "scale-client")
            clientConfiguration.topicPrefix = prefix
            clientConfiguration.replyTopic = replyTopic
            clientConfiguration.defaultTimeout = .seconds(300)
            let client = try ProviderClient(configuration: clientConfiguration)
            try await client.start()
            defer { Task { await client.shutdown() } }

            // 5,000 requests over ~15 s: a third each for gpt-4o-mini, claude-haiku-4-5 and "chat" (either).
            let total = 5_000
            let ids = (0..<total).map { "scale-\($0)" }
            let models = ["gpt-4o-mini", "claude-haiku-4-5", "chat"]
            let sending = Task {
                for batch in stride(from: 0, to: total, by: 100) {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for index in batch..<min(batch + 100, total) {
                            let request = ProviderRequest(
                                requestID: ids[index],
                                messages: [ChatMessage(role: .user, content: .text("hello \(index)"))],
                                model: models[index % 3], maxTokens: 16)
                            group.addTask { try await client.send(request) }
                        }
                        try await group.waitForAll()
                    }
                    try await Task.sleep(for: .milliseconds(300))
                }
            }
            let answers = Task { () throws -> [String: ProviderCallResult] in
                try await withThrowingTaskGroup(of: ProviderCallResult?.self) { group in
                    for id in ids {
                        group.addTask {
                            // A request is waited for once it was sent (booked); poll until then.
                            while true {
                                do {
                                    return try await client.response(for: id, timeout: .seconds(300))
                                } catch let error as ProviderClientError where error.code == .unknownRequest {
                                    try await Task.sleep(for: .milliseconds(200))
                                }
                            }
                        }
                    }
                    var results: [String: ProviderCallResult] = [:]
                    for try await result in group { if let result { results[result.requestID] = result } }
                    return results
                }
            }

            // Mid-run: SIGKILL one agent and one router, start replacements.
            try await waitUntil("1,500 final answers", timeout: .seconds(240)) { client.stats.answered >= 1_500 }
            processes.get("openai-2")?.send(SIGKILL)
            processes.get("r1")?.send(SIGKILL)
            let killedAt = client.stats.answered
            try startAgent("openai", "openai-4")
            try startRouter("r3")

            try await sending.value
            let results: [String: ProviderCallResult]
            do {
                results = try await answers.value
            } catch {
                Issue.record("not every request answered: \(error); client stats \(client.stats)")
                throw error
            }
            // Late duplicates (a redelivered request answered again) arrive within seconds.
            try await Task.sleep(for: .seconds(5))
            let stats = client.stats
            #expect(Set(results.keys) == Set(ids), "every request answered")
            let errors = results.values.filter { $0.error != nil }.count
            let rerouted = results.values.filter { ($0.response?.attempt ?? 1) > 1 }.count
            let byProvider = Dictionary(grouping: results.values.compactMap(\.response?.provider), by: { $0 })
                .mapValues(\.count)
            print(
                """
                scale-out: \(total) requests, \(results.count) answered once each at the client (\(total - errors) \
                responses, \(errors) final errors), \

                """
                    + """
                    \(rerouted) answered after a fallback, \(stats.duplicates) duplicate final answers dropped by \
                    the client, \

                    """
                        + """
                        \(stats.nonFinal) handed-back errors ignored; killed openai-2 and r1 after \(killedAt) \
                        answers; responses by provider \(byProvider)
                        """
            )
            #expect(stats.answered == total, "each request answered exactly once at the client: \(stats)")
            #expect(stats.foreign == 0 && stats.undecodable == 0 && stats.timedOut == 0, "\(stats)")
            #expect(errors < total / 20, "final errors stay rare (2% upstream 503s, up to 4 attempts): \(errors)")
            #expect(rerouted > 0, "the 503s were continued at another attempt")
            #expect(
                stats.duplicates < total / 5,
                "duplicates are bounded by what was in flight at the crashes: \(stats.duplicates)")
            for name in ["openai-1", "openai-3", "openai-4", "anthropic-1", "anthropic-2", "anthropic-3", "r2", "r3"] {
                #expect(processes.get(name)?.isRunning == true, "\(name) still running")
            }
        } catch {
            processes.stopAll()
            await status.close()
            throw error
        }
        processes.stopAll()
        await status.close()
    }
}
