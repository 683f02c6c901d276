import Common
import Foundation
import Kafka
import KafkaTestSupport
import ProviderClient
import Signals
import Telemetry
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `provider-agents agent --metrics-listen`: `/metrics` read by Prometheus's own text parser
/// (`prometheus_client`) holds what the agent did, under the OpenTelemetry GenAI names; `/health`
/// answers while it lives, `/ready` once it holds its partitions.
@Suite("Monitoring endpoint: /metrics, /health, /ready", .serialized, .timeLimit(.minutes(3)))
struct MetricsEndpointTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    struct Scrape: Decodable {
        struct Sample: Decodable {
            var family: String
            var type: String
            var name: String
            var labels: [String: String]
            var value: Double
        }
        var health: Int
        var ready: Int
        var contentType: String
        var samples: [Sample]

        enum CodingKeys: String, CodingKey {
            case health, ready, samples
            case contentType = "content_type"
        }

        /// The one sample named `name` whose labels include `labels`; `nil` when none or several.
        func value(_ name: String, _ labels: [String: String]) -> Double? {
            let found = samples.filter { sample in
                sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value }
            }
            return found.count == 1 ? found[0].value : nil
        }
    }

    /// The endpoint did not answer, or Prometheus's parser refused what it served.
    struct ScrapeFailed: Error, CustomStringConvertible {
        var output: String
        var description: String { "scrape failed: \(output)" }
    }

    /// `/metrics`, `/health` and `/ready` on `port`, read by Prometheus's own parser.
    static func scrape(_ port: Int) async throws -> Scrape {
        let log = AgentCommandTests.logFile("scrape")
        let process = try ChildProcess(
            executable: root.appendingPathComponent(".venv/bin/python").path,
            arguments: [
                root.appendingPathComponent("Tests/AgentTests/prometheus_scrape.py").path, "http://127.0.0.1:\(port)",
            ],
            logFile: log)
        try await waitUntil("the scrape ends", timeout: .seconds(30)) { !process.isRunning }
        let output = AgentCommandTests.output(log)
        guard process.exitCode == 0 else { throw ScrapeFailed(output: output) }
        let line = try #require(output.split(separator: "\n").last { $0.hasPrefix("{") }, "\(output)")
        return try JSONDecoder().decode(Scrape.self, from: Data(line.utf8))
    }

    @Test("counts, durations, tokens and the breaker of 5 answered and 2 refused requests; health and ready")
    func agent() async throws {
        let broker = try await TansuBroker.shared()
        let prefix = uniqueName("metrics") + "."
        let system = CLIProcesses(
            executable: AgentCommandTests.cliPath, bootstrapServers: broker.bootstrapServers, prefix: prefix)
        try await system.applyTopics()
        let port = try freeLoopbackPort()
        let (agent, agentLog) = try system.start(
            [
                "agent", "--provider", "openai", "--backend", "test", "--test-latency-ms", "5", "--instance-id",
                "metrics-agent", "--metrics-listen", "127.0.0.1:\(port)", "--set", "models=[gpt-4o-mini]", "--set",
                "status_interval_ms=300",
            ], log: "metrics-agent")
        defer { agent.stop(grace: .seconds(20)) }
        try await waitUntil("the agent is up", timeout: .seconds(60)) {
            CLIProcesses.output(agentLog).contains("worker started")
        }

        var configuration = ProviderClientConfiguration(
            bootstrapServers: broker.bootstrapServers, clientID: "metrics-client")
        configuration.topicPrefix = prefix
        let client = try ProviderClient(configuration: configuration)
        try await client.start()
        defer { Task { await client.shutdown() } }
        let topic = client.configuration.providerTopic("openai")
        for index in 0..<7 {
            let request = ProviderRequest(
                requestID: "metrics-\(index)", messages: [ChatMessage(role: .user, content: .text("count \(index)"))],
                model: index < 5 ? "gpt-4o-mini" : "nope")
            let answer = try await client.call(request, to: topic, timeout: .seconds(30))
            #expect(answer.succeeded == (index < 5), "\(answer)")
        }
        // One streamed: its time to the first chunk.
        var streamed = ProviderRequest(
            requestID: "metrics-stream", messages: [ChatMessage(role: .user, content: .text("stream"))],
            model: "gpt-4o-mini")
        streamed.stream = true
        let streamAnswer = try await client.call(streamed, as: .stream, to: topic, timeout: .seconds(30))
        #expect(streamAnswer.succeeded, "\(streamAnswer)")
        try await Task.sleep(for: .seconds(1))  // a status after the last call

        let scrape = try await Self.scrape(port)
        #expect(scrape.health == 200)
        #expect(scrape.ready == 200, "the agent holds its partitions")
        #expect(scrape.contentType.hasPrefix("text/plain"))
        let model = ["gen_ai_provider_name": "openai", "gen_ai_request_model": "gpt-4o-mini"]
        let requests = MetricName.prometheusName(MetricName.requests)
        let answered =
            scrape.value(requests, model.merging(["outcome": "response"]) { $1 })
            ?? scrape.value(requests + "_total", model.merging(["outcome": "response"]) { $1 })
        #expect(answered == 6, "5 plain and 1 streamed")
        let refusedLabels = [
            "gen_ai_provider_name": "openai", "gen_ai_request_model": "nope", "outcome": "refused",
            "error_type": "model_unavailable",
        ]
        let refused = scrape.value(requests, refusedLabels) ?? scrape.value(requests + "_total", refusedLabels)
        #expect(refused == 2)
        let duration = MetricName.prometheusName(MetricName.operationDuration)
        #expect(duration == "gen_ai_client_operation_duration_seconds")
        #expect(scrape.value(duration + "_count", model.merging(["gen_ai_operation_name": "chat"]) { $1 }) == 6)
        let sum = try #require(scrape.value(duration + "_sum", model))
        #expect(sum >= 6 * 0.005 && sum < 6, "six 5-ms calls, in seconds: \(sum)")
        let tokens = MetricName.prometheusName(MetricName.tokenUsage)
        #expect(scrape.value(tokens + "_count", model.merging(["gen_ai_token_type": "input"]) { $1 }) == 6)
        #expect(scrape.value(tokens + "_count", model.merging(["gen_ai_token_type": "output"]) { $1 }) == 6)
        let firstChunk = MetricName.prometheusName(MetricName.timeToFirstChunk)
        #expect(firstChunk == "gen_ai_client_operation_time_to_first_chunk_seconds")
        #expect(scrape.value(firstChunk + "_count", model) == 1, "one streamed call")
        let toFirst = try #require(scrape.value(firstChunk + "_sum", model))
        let streamedCall = try #require(
            scrape.samples.filter { $0.name == duration + "_sum" }.map(\.value).max())
        #expect(toFirst > 0 && toFirst <= streamedCall, "the first chunk comes within the call: \(toFirst)")
        let provider = ["gen_ai_provider_name": "openai"]
        #expect(scrape.value(MetricName.prometheusName(MetricName.breakerState), provider) == 0)
        #expect(scrape.value(MetricName.prometheusName(MetricName.inFlight), provider) == 0)
        #expect(scrape.value(MetricName.prometheusName(MetricName.limiterUtilization), provider) != nil)
        #expect(
            scrape.value(MetricName.prometheusName(MetricName.consumerLag), ["worker": "agent/openai/metrics-agent"])
                == 0, "every request read")
    }

    @Test("the router, the gateway and a batch runner serve theirs: dead letters, HTTP requests, health, ready")
    func otherProcesses() async throws {
        let broker = try await TansuBroker.shared()
        let prefix = uniqueName("metrics-others") + "."
        let system = CLIProcesses(
            executable: AgentCommandTests.cliPath, bootstrapServers: broker.bootstrapServers, prefix: prefix)
        try await system.applyTopics()
        let ports = try (0..<4).map { _ in try freeLoopbackPort() }
        func start(_ arguments: [String], _ name: String) throws -> ChildProcess {
            try system.start(arguments, log: name).process
        }
        let router = try start(
            ["router", "--instance-id", "metrics-router", "--metrics-listen", "127.0.0.1:\(ports[0])"], "m-router")
        defer { router.stop(grace: .seconds(20)) }
        let gateway = try start(
            [
                "gateway", "--listen", "127.0.0.1:\(ports[1])", "--instance-id", "metrics-gateway",
                "--metrics-listen", "127.0.0.1:\(ports[2])", "--no-batch-runner",
            ], "m-gateway")
        defer { gateway.stop(grace: .seconds(20)) }
        let runner = try start(
            ["batch", "runner", "--instance-id", "metrics-runner", "--metrics-listen", "127.0.0.1:\(ports[3])"],
            "m-runner")
        defer { runner.stop(grace: .seconds(20)) }
        let agent = try start(
            [
                "agent", "--provider", "openai", "--backend", "test", "--instance-id", "metrics-agent-2", "--set",
                "models=[gpt-4o-mini]", "--set", "status_interval_ms=300",
            ], "m-agent")
        defer { agent.stop(grace: .seconds(20)) }
        for port in [ports[0], ports[2], ports[3]] {
            try await waitUntil("ready on \(port)", timeout: .seconds(90)) {
                (try? await Self.scrape(port))?.ready == 200
            }
        }

        // A message that is no signal: the router dead-letters it.
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: broker.bootstrapServers))
        try await producer.send(
            KafkaProducerMessage(topic: prefix + "llm.router.requests", key: "x", value: "not json"))
        await producer.close()
        let deadLetters = MetricName.prometheusName(MetricName.deadLetters)
        try await waitUntil("the router counts the dead letter", timeout: .seconds(30)) {
            let scrape = try? await Self.scrape(ports[0])
            let counted = scrape?.samples.filter {
                ($0.name == deadLetters || $0.name == deadLetters + "_total") && $0.labels["worker"] != nil
            }
            return counted?.map(\.value).reduce(0, +) == 1
        }

        // Two model lists, an unknown path and a chat through the gateway's HTTP API.
        let base = "http://127.0.0.1:\(ports[1])"
        try await waitUntil("the gateway serves the agent's model", timeout: .seconds(60)) {
            guard let (data, _) = try? await URLSession.shared.data(from: URL(string: base + "/v1/models")!) else {
                return false
            }
            return String(decoding: data, as: UTF8.self).contains("\"openai/gpt-4o-mini\"")
        }
        let requests = MetricName.prometheusName(MetricName.gatewayRequests)
        func counted(_ scrape: Scrape, _ labels: [String: String]) -> Double? {
            scrape.value(requests, labels) ?? scrape.value(requests + "_total", labels)
        }
        let listsBefore = try #require(counted(try await Self.scrape(ports[2]), ["api": "models", "status": "200"]))
        for path in ["/v1/models", "/v1/models", "/v1/nothing"] {
            _ = try? await URLSession.shared.data(from: URL(string: base + path)!)
        }
        var chat = URLRequest(url: URL(string: base + "/v1/chat/completions")!)
        chat.httpMethod = "POST"
        chat.setValue("application/json", forHTTPHeaderField: "content-type")
        chat.httpBody = Data(#"{"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}"#.utf8)
        let (_, chatResponse) = try await URLSession.shared.data(for: chat)
        #expect((chatResponse as? HTTPURLResponse)?.statusCode == 200)
        let scrape = try await Self.scrape(ports[2])
        #expect(scrape.health == 200)
        #expect(counted(scrape, ["api": "models", "status": "200"]) == listsBefore + 2)
        #expect(counted(scrape, ["api": "openai", "status": "200"]) == 1)
        let duration = MetricName.prometheusName(MetricName.operationDuration)
        #expect(
            scrape.value(
                duration + "_count",
                ["gen_ai_request_model": "openai/gpt-4o-mini", "gen_ai_provider_name": "openai"]) == 1,
            "the gateway's own view of the call")
        #expect(counted(scrape, ["api": "other", "status": "404"]) == 1)
    }

    @Test("a bad --metrics-listen is refused before anything starts, naming the option and the key")
    func badAddress() async throws {
        let log = CLIProcesses.logFile("metrics-bad")
        let process = try ChildProcess(
            executable: AgentCommandTests.cliPath,
            arguments: ["router", "--bootstrap", "127.0.0.1:1", "--metrics-listen", "nowhere"], logFile: log)
        try await waitUntil("the router refuses", timeout: .seconds(30)) { !process.isRunning }
        let output = CLIProcesses.output(log)
        #expect(process.exitCode == 64, "usage error: \(output)")
        #expect(output.contains("--metrics-listen / metrics_listen: expected host:port"), "\(output)")
    }

    @Test("dotted names become Prometheus names; durations end in _seconds; labels lose their dots")
    func names() {
        #expect(MetricName.prometheusName("gen_ai.client.token.usage") == "gen_ai_client_token_usage")
        #expect(MetricName.prometheusName(MetricName.timeToFirstChunk).hasSuffix("_seconds"))
        #expect(MetricName.prometheusLabel("gen_ai.provider.name") == "gen_ai_provider_name")
        #expect(MetricName.prometheusLabel("9lives-x") == "_9lives_x")
    }
}
