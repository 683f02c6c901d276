import Foundation
import KafkaTestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The gateway against the official `openai` and `anthropic` Python SDKs (`gateway_sdk.py`): a fake
/// upstream, an `openai` and an `anthropic` agent in front of it, a router and a gateway with a
/// key, all as processes on the test broker. The openai SDK lists the models, chats through the
/// router and straight to the provider, streams with usage, calls tools, retries under an
/// idempotency key (the upstream is called once), and gets each error status as the SDK's own
/// error class: 400 naming the field, 401, 404, 413, 429 with Retry-After, 504, 502 and 503 once
/// the agent's breaker opens. Each SDK reaches both providers; the anthropic SDK speaks Messages
/// (plain, streamed, tools and tool results, errors in Anthropic's shape).
@Suite("Gateway: the official openai and anthropic SDKs", .serialized, .timeLimit(.minutes(4)))
struct GatewaySDKTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let key = "sk-gateway-test-\(UUID().uuidString.prefix(8))"
    static let limitedKey = "sk-gateway-limited-\(UUID().uuidString.prefix(8))"

    /// A binary built beside the test bundle (`swift build --build-tests` builds them all).
    static func binary(_ name: String) -> String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name).path
    }

    static func logFile(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent(uniqueName(name) + ".log").path
    }

    static func output(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    /// One HTTP request; the status and the body.
    static func request(
        _ url: String, method: String = "POST", body: String? = nil, headers: [String: String] = [:]
    ) async throws -> (Int, Data) {
        var request = URLRequest(url: URL(string: url)!, timeoutInterval: 60)
        request.httpMethod = method
        request.httpBody = body.map { Data($0.utf8) }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }

    /// Calls the fake upstream has served on `route`.
    static func upstreamCalls(_ upstream: String, route: String) async throws -> Int {
        let (_, data) = try await request("\(upstream)/fake/stats", method: "GET")
        let stats = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return (stats["requests"] as? [String: Int])?[route] ?? 0
    }

    @Test("the SDKs chat, stream, call tools, retry idempotently and get every error status, in both API shapes")
    func openAISDK() async throws {
        let broker = try await TansuBroker.shared()
        let prefix = uniqueName("gw-sdk") + "."
        let topicsLog = Self.logFile("gw-topics")
        let topics = try ChildProcess(
            executable: Self.binary("provider-agents"),
            arguments: ["topics", "apply", "--prefix", prefix, "--bootstrap", broker.bootstrapServers],
            logFile: topicsLog)
        try await waitUntil("the topics exist", timeout: .seconds(60)) { !topics.isRunning }
        #expect(topics.exitCode == 0, "topics apply failed:\n\(Self.output(topicsLog))")

        let upstreamPort = try freeLoopbackPort()
        let upstreamLog = Self.logFile("gw-fake-upstream")
        let upstream = try ChildProcess(
            executable: Self.binary("fake-upstream"),
            arguments: ["--port", "\(upstreamPort)", "--stream-chunks", "4"], logFile: upstreamLog)
        defer { upstream.stop() }
        try await waitUntil("the fake upstream listens") { Self.output(upstreamLog).contains("listening:") }

        let config = FileManager.default.temporaryDirectory.appendingPathComponent(uniqueName("gw-config") + ".yaml")
            .path
        let http = """
                http: { base_url: \"http://127.0.0.1:\(upstreamPort)\", api_key_env: GW_UPSTREAM_KEY, \
            request_timeout_ms: 30000 }
            """
        try [
            "agents:", "  openai:", "    backend: openai", "    models: [gpt-4o-mini, gpt-4o]",
            "    session_timeout_ms: 6000", "    status_interval_ms: 500",
            "    circuit_breaker: { consecutive_failures: 3, open_timeout_ms: 60000 }", http,
            "  anthropic:", "    backend: anthropic", "    models: [claude-haiku-4-5]",
            "    session_timeout_ms: 6000", "    status_interval_ms: 500", http,
            "gateway:", "  keys:",
            "    - { name: limited, key_env: GW_LIMITED_KEY, rate_limit: { requests_per_minute: 6 } }",
        ].joined(separator: "\n").write(toFile: config, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: config) }
        var environment = ProcessInfo.processInfo.environment
        environment["GW_UPSTREAM_KEY"] = "sk-upstream-\(UUID().uuidString.prefix(8))"
        environment["PROVIDER_AGENTS_GATEWAY_KEYS"] = "sk-other-key,\(Self.key)"
        environment["GW_LIMITED_KEY"] = Self.limitedKey
        /// One `provider-agents` process on this broker and prefix, with the file; its log.
        func start(_ arguments: [String], log name: String) throws -> (ChildProcess, String) {
            let log = Self.logFile(name)
            let process = try ChildProcess(
                executable: Self.binary("provider-agents"),
                arguments: arguments + [
                    "--config", config, "--bootstrap", broker.bootstrapServers, "--topic-prefix", prefix,
                    "--log-level", "info",
                ],
                environment: environment, logFile: log)
            return (process, log)
        }
        let (agent, agentLog) = try start(
            ["agent", "--provider", "openai", "--instance-id", "gw-agent-1"], log: "gw-agent")
        defer { agent.stop(grace: .seconds(20)) }
        let (claude, claudeLog) = try start(
            ["agent", "--provider", "anthropic", "--instance-id", "gw-agent-2"], log: "gw-agent-anthropic")
        defer { claude.stop(grace: .seconds(20)) }
        let (router, routerLog) = try start(["router", "--instance-id", "gw-router-1"], log: "gw-router")
        defer { router.stop(grace: .seconds(20)) }

        let gatewayPort = try freeLoopbackPort()
        let (gateway, gatewayLog) = try start(
            [
                "gateway", "--listen", "127.0.0.1:\(gatewayPort)", "--instance-id", "sdk-1", "--request-timeout", "5",
                "--idle-timeout", "2",
            ], log: "gw-gateway")
        defer { gateway.stop(grace: .seconds(20)) }
        // A second instance, for the retry after the first one is killed.
        let secondPort = try freeLoopbackPort()
        let (second, secondLog) = try start(
            ["gateway", "--listen", "127.0.0.1:\(secondPort)", "--instance-id", "sdk-2"], log: "gw-gateway-2")
        defer { second.stop(grace: .seconds(20)) }
        try await waitUntil("the gateways listen", timeout: .seconds(60)) {
            [gatewayLog, secondLog].allSatisfy { Self.output($0).contains("Server started and listening") }
        }
        // The agent's first status reaches the gateway's registry (the models list).
        try await waitUntil("the agent and the router are up", timeout: .seconds(60)) {
            [agentLog, claudeLog, routerLog].allSatisfy { Self.output($0).contains("worker started") }
        }
        try await Task.sleep(for: .seconds(2))

        let output = Self.logFile("gw-sdk-output")
        let python = Self.root.appendingPathComponent(".venv/bin/python").path
        let script = Self.root.appendingPathComponent("Tests/GatewayTests/gateway_sdk.py").path
        let client = try ChildProcess(
            executable: python,
            arguments: [
                script, "http://127.0.0.1:\(gatewayPort)", Self.key, "http://127.0.0.1:\(upstreamPort)",
                "http://127.0.0.1:\(secondPort)",
            ],
            logFile: output)
        defer { client.stop() }
        try await waitUntil("the SDK script finishes", timeout: .seconds(180)) { !client.isRunning }
        let text = Self.output(output)
        #expect(
            client.exitCode == 0, "gateway SDK script failed:\n\(text)\n--- gateway log:\n\(Self.output(gatewayLog))")
        #expect(text.contains("all ok"), "\(text)")
        #expect(gateway.isRunning, "the gateway survives every call")

        // A key's rate limit holds across the gateways: 6 per minute, each of the two admits its 3.
        let gateways = ["http://127.0.0.1:\(gatewayPort)", "http://127.0.0.1:\(secondPort)"]
        try await waitUntil("each gateway counts two", timeout: .seconds(20)) {
            var counts: [Int] = []
            for base in gateways {
                let health = try? await Self.request("\(base)/health", method: "GET")
                let fields = health.flatMap { try? JSONSerialization.jsonObject(with: $0.1) as? [String: Any] }
                counts.append(fields?["gateways"] as? Int ?? 0)
            }
            return counts == [2, 2]
        }
        var statuses: [Int] = []
        for index in 0..<10 {
            let (status, body) = try await Self.request(
                "\(gateways[index % 2])/v1/chat/completions",
                body: #"{"model": "claude-haiku-4-5", "messages": [{"role": "user", "content": "limited"}]}"#,
                headers: ["Authorization": "Bearer \(Self.limitedKey)"])
            statuses.append(status)
            if status == 429 {
                #expect(String(decoding: body, as: UTF8.self).contains("rate limit of key 'limited'"))
            }
        }
        #expect(statuses.filter { $0 == 200 }.count == 6, "\(statuses)")
        #expect(statuses.filter { $0 == 429 }.count == 4, "\(statuses)")

        // Idempotency across instances: the first gateway is killed while its call runs; the
        // client retries at the second with the same key, gets the answer, and the upstream was
        // called once. (The openai agent's breaker is open after the script: the anthropic one.)
        let upstreamURL = "http://127.0.0.1:\(upstreamPort)"
        let before = try await Self.upstreamCalls(upstreamURL, route: "POST /v1/messages")
        let (latencySet, _) = try await Self.request(
            "\(upstreamURL)/fake/latency", method: "PUT", body: #"{"distribution": "fixed:3000ms"}"#)
        #expect(latencySet == 200, "the upstream takes 3 s per call from now on")
        let started = ContinuousClock.now
        let body = #"{"model": "claude-haiku-4-5", "messages": [{"role": "user", "content": "hello failover"}]}"#
        let headers = ["Authorization": "Bearer \(Self.key)", "Idempotency-Key": "failover-1"]
        let doomed = Task {
            try? await Self.request("http://127.0.0.1:\(gatewayPort)/v1/chat/completions", body: body, headers: headers)
        }
        try await Task.sleep(for: .seconds(1))
        gateway.send(SIGKILL)
        let (status, answer) = try await Self.request(
            "http://127.0.0.1:\(secondPort)/v1/chat/completions", body: body, headers: headers)
        _ = await doomed.value
        #expect(ContinuousClock.now - started > .seconds(2), "the retry waited for the call in flight")
        let retried = String(decoding: answer, as: UTF8.self)
        #expect(status == 200, "\(retried)")
        #expect(retried.contains(#""id":"chatcmpl-idem-key-2-failover-1""#), "\(retried)")
        #expect(retried.contains("Fake anthropic reply from claude-haiku-4-5"), "\(retried)")
        #expect(try await Self.upstreamCalls(upstreamURL, route: "POST /v1/messages") == before + 1)

        // A client that goes away before its stream's answer leaves nothing behind.
        let streamBody =
            #"{"model": "claude-haiku-4-5", "stream": true, "messages": [{"role": "user", "content": "bye"}]}"#
        let gone = Task {
            try? await Self.request(
                "http://127.0.0.1:\(secondPort)/v1/chat/completions", body: streamBody,
                headers: ["Authorization": "Bearer \(Self.key)"])
        }
        try await Task.sleep(for: .milliseconds(500))
        gone.cancel()
        _ = await gone.value
        try await waitUntil("the gateway holds nothing", timeout: .seconds(20)) {
            let health = try? await Self.request(
                "http://127.0.0.1:\(secondPort)/health", method: "GET", headers: ["Authorization": "Bearer \(Self.key)"]
            )
            let fields = health.flatMap { try? JSONSerialization.jsonObject(with: $0.1) as? [String: Any] }
            return fields?["waiting_calls"] as? Int == 0 && fields?["shared_calls"] as? Int == 0
        }
        _ = try await Self.request("\(upstreamURL)/fake/latency", method: "DELETE")

        // Keys are never logged.
        for log in [gatewayLog, secondLog, agentLog, claudeLog, routerLog] {
            #expect(!Self.output(log).contains(Self.key), "a gateway key appears in \(log)")
            #expect(!Self.output(log).contains(Self.limitedKey), "a gateway key appears in \(log)")
        }
    }
}
