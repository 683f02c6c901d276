import Foundation
import Kafka
import KafkaTestSupport
import Signals
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Routers as OS processes SIGKILLed again and again under a steady load: the provider is called
/// once per request, whatever router died after forwarding and before committing.
@Suite("Routers killed under load: one provider call per request", .timeLimit(.minutes(6)))
struct RouterKillTests {
    static let binDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    static var cli: String { binDirectory.appendingPathComponent("provider-agents").path }

    static func temporaryFile(_ name: String, _ suffix: String = ".log") -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent(uniqueName(name) + suffix).path
    }

    /// `(request id, attempt)` of every call a `--test-call-log` records as started.
    static func calls(_ path: String) -> [String] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n")
            .map { $0.split(separator: " ") }.filter { $0.count == 3 }.map { "\($0[1])/\($0[2])" }
    }

    @Test(
        """
        2 agents, 2 routers SIGKILLed every 3 s at 300 requests/s: every request answered, each (request, attempt) \
        called once
        """
    )
    func routersKilled() async throws {
        let broker = try await TansuBroker.shared()
        let prefix = uniqueName("rkill") + "."
        let providers = ["alpha", "beta"]
        for provider in providers {
            for (topic, partitions) in [
                ("llm.requests.\(provider)", 6), ("llm.ledger.\(provider)", 6), ("llm.control.\(provider)", 1),
            ] {
                try await broker.createTopic(prefix + topic, partitions: partitions)
            }
        }
        for (topic, partitions) in [
            ("llm.responses", 3), ("llm.errors", 6), ("llm.status", 3), ("llm.dlq", 1), ("llm.router.requests", 6),
            ("llm.router.journal", 6), ("llm.router.delays", 9), ("client.replies", 6),
        ] {
            try await broker.createTopic(prefix + topic, partitions: partitions)
        }
        let config = Self.temporaryFile("rkill-config", ".yaml")
        try """
        kafka:
          topic_prefix: "\(prefix)"
        x-agent: &agent
          models: [shared]
          max_in_flight: 256
          max_concurrent_calls: 256
          session_timeout_ms: 6000
          status_interval_ms: 1000
        agents:
          alpha: *agent
          beta: *agent
        router:
          strategy: least_loaded
          session_timeout_ms: 6000
          drain_timeout_ms: 2000
        """.write(toFile: config, atomically: true, encoding: .utf8)

        let processes = Mutex<[String: ChildProcess]>([:])
        func stopAll() {
            let all = processes.withLock { Array($0.values) }
            for process in all { process.send(SIGTERM) }
            for process in all { process.stop(grace: .seconds(20)) }
        }
        let callLogs = providers.map { Self.temporaryFile("rkill-calls-\($0)", ".calls") }
        let replies = try await TopicWatcher(
            bootstrapServers: broker.bootstrapServers, topics: [prefix + "client.replies"])
        do {
            for (provider, log) in zip(providers, callLogs) {
                let agent = try ChildProcess(
                    executable: Self.cli,
                    arguments: [
                        "agent", "--provider", provider, "--config", config, "--bootstrap", broker.bootstrapServers,
                        "--instance-id", "\(provider)-1", "--test-latency", "uniform:5-40", "--test-call-log", log,
                    ],
                    logFile: Self.temporaryFile("rkill-\(provider)")
                )
                processes.withLock { $0[provider] = agent }
            }
            func startRouter(_ name: String) throws {
                let router = try ChildProcess(
                    executable: Self.cli,
                    arguments: [
                        "router", "--config", config, "--bootstrap", broker.bootstrapServers, "--instance-id", name,
                    ],
                    logFile: Self.temporaryFile("rkill-\(name)")
                )
                processes.withLock { $0[name] = router }
            }
            try startRouter("r1")
            try startRouter("r2")

            let total = 5_000
            let load = try PacedProducer(bootstrapServers: broker.bootstrapServers)
            try await load.connect()
            // The agents must have reported before the routers can route to them.
            try await Task.sleep(for: .seconds(8))
            let sending = Task {
                try await load.send(count: total, perSecond: 300) { index in
                    let id = "k-\(index)"
                    let value =
                        #"""
                        {"type":"provider_request","data":{"request_id":"\#(id)","model":"shared","reply_to":\#
                        "\#(prefix)client.replies","messages":[{"role":"user","content":"hi \#(index)"}]}}
                        """#
                    return KafkaProducerMessage(topic: prefix + "llm.router.requests", key: id, value: value)
                }
            }
            // Kill a router every 3 s while the load runs, alternating, and start its replacement.
            var kills = 0
            var generation = 2
            while !sending.isCancelled, kills < 6 {
                try await Task.sleep(for: .seconds(3))
                let victim = kills % 2 == 0 ? "r1" : "r2"
                processes.withLock { $0[victim] }?.send(SIGKILL)
                generation += 1
                try startRouter(victim)
                kills += 1
            }
            _ = try await sending.value
            try await load.flush()
            await load.close()

            let answered = try await replies.wait(until: "every request answered", timeout: .seconds(180)) { messages in
                Set(
                    messages.compactMap { message -> String? in
                        guard let signal = try? SignalEnvelope.decode(message.value).signal else { return nil }
                        switch signal {
                        case .providerResponse(let response): return response.requestID
                        case .providerError(let error) where error.request == nil: return error.requestID
                        default: return nil
                        }
                    }
                ).count >= total
            }
            // Calls still being made for copies in flight settle within a second or two.
            try await Task.sleep(for: .seconds(3))
            let calls = callLogs.flatMap(Self.calls)
            var perCall: [String: Int] = [:]
            for call in calls { perCall[call, default: 0] += 1 }
            let repeated = perCall.filter { $0.value > 1 }
            let requests = Set(calls.map { String($0.split(separator: "/").first!) })
            let finals = answered.compactMap { try? SignalEnvelope.decode($0.value).signal }
            let errors = finals.compactMap {
                if case .providerError(let error) = $0, error.request == nil { error } else { nil }
            }
            print(
                """
                router kills: \(total) requests, \(kills) routers SIGKILLed, \(calls.count) provider calls for \
                \(perCall.count) (request, attempt) pairs, \

                """
                    + """
                    \(finals.count) final answers at the client (\(finals.count - total) duplicates), \
                    \(errors.count) final errors
                    """
            )
            #expect(kills == 6, "routers were killed under load")
            #expect(requests.count == total, "every request reached a provider")
            #expect(
                repeated.isEmpty, "a (request, attempt) called twice: \(repeated.sorted { $0.key < $1.key }.prefix(10))"
            )
            #expect(
                calls.count == perCall.count,
                "one call per (request, attempt): \(calls.count) calls, \(perCall.count) pairs")
            #expect(errors.isEmpty, "no final errors: \(errors.prefix(3).map(\.error))")
        } catch {
            stopAll()
            await replies.close()
            throw error
        }
        stopAll()
        await replies.close()
    }
}
