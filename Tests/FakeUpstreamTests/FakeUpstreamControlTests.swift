import AsyncHTTPClient
import FakeUpstream
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// The fake's runtime control over real HTTP: `/fake/faults`, `/fake/latency`, `/fake/stats`.
@Suite("Fake upstream: runtime control over HTTP", .timeLimit(.minutes(1)))
struct FakeUpstreamControlTests {
    struct Answer {
        var status: Int
        var json: [String: Any]
    }

    static func call(
        _ base: String, _ method: HTTPMethod, _ path: String, body: String? = nil, headers: [String: String] = [:]
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        let json = (try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView))) as? [String: Any] ?? [:]
        return Answer(status: Int(response.status.code), json: json)
    }

    static let chat = #"{"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}"#
    static let anthropicChat =
        #"{"model": "claude-haiku-4-5", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}"#
    static let anthropicHeaders = ["x-api-key": "k", "anthropic-version": "2023-06-01"]

    @Test(
        """
        PUT a script: the next two OpenAI calls get 429, Anthropic is untouched; GET shows the budget; stats count \
        calls and faults; DELETE clears
        """
    )
    func script() async throws {
        try await withRunningFake { base, upstream in
            let put = try await Self.call(
                base, .PUT, "/fake/faults", body: #"{"rules": [{"fault": "429", "provider": "openai", "count": 2}]}"#)
            #expect(put.status == 200)
            var statuses: [Int] = []
            for _ in 0..<3 {
                statuses.append(try await Self.call(base, .POST, "/v1/chat/completions", body: Self.chat).status)
            }
            #expect(statuses == [429, 429, 200])
            #expect(
                try await Self.call(
                    base, .POST, "/v1/messages", body: Self.anthropicChat, headers: Self.anthropicHeaders
                ).status == 200)
            let rule = try #require(
                (try await Self.call(base, .GET, "/fake/faults").json["rules"] as? [[String: Any]])?.first)
            #expect(rule["fault"] as? String == "429")
            #expect(rule["injected"] as? Int == 2)
            #expect(rule["remaining"] as? Int == 0)
            let stats = try await Self.call(base, .GET, "/fake/stats").json
            #expect((stats["requests"] as? [String: Int])?["POST /v1/chat/completions"] == 3)
            #expect((stats["requests"] as? [String: Int])?["POST /v1/messages"] == 1)
            #expect((stats["faults"] as? [String: Int]) == ["429": 2])
            #expect(upstream.stats.totalRequests == 4, "control calls are not counted")
            let cleared = try await Self.call(base, .DELETE, "/fake/faults")
            #expect((cleared.json["rules"] as? [Any])?.isEmpty == true)
            _ = try await Self.call(base, .DELETE, "/fake/stats")
            #expect(upstream.stats == FakeUpstreamStats())
        }
    }

    @Test("the x-fake-fault header wins over the script, which does not see that request")
    func headerWins() async throws {
        try await withRunningFake(
            FakeUpstreamConfiguration(faults: FaultScript(rules: [FaultRule(fault: .serverError)]))
        ) { base, _ in
            #expect(try await Self.call(base, .POST, "/v1/chat/completions", body: Self.chat).status == 500)
            #expect(
                try await Self.call(
                    base, .POST, "/v1/chat/completions", body: Self.chat, headers: ["x-fake-fault": "503"]
                ).status == 503)
            let rule = try #require(
                (try await Self.call(base, .GET, "/fake/faults").json["rules"] as? [[String: Any]])?.first)
            #expect(rule["matched"] as? Int == 1)
        }
    }

    @Test("unknown-finish-reason: a well-formed answer with a finish reason no client knows, in each format")
    func unknownFinishReason() async throws {
        try await withRunningFake(
            FakeUpstreamConfiguration(faults: FaultScript(rules: [FaultRule(fault: .unknownFinishReason)]))
        ) { base, _ in
            let openai = try await Self.call(base, .POST, "/v1/chat/completions", body: Self.chat)
            #expect(
                (openai.json["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String
                    == "fake_unknown_reason")
            let anthropic = try await Self.call(
                base, .POST, "/v1/messages", body: Self.anthropicChat, headers: Self.anthropicHeaders)
            #expect(anthropic.json["stop_reason"] as? String == "fake_unknown_reason")
            let ollama = try await Self.call(
                base, .POST, "/api/chat",
                body: #"{"model": "llama3.1:8b", "stream": false, "messages": [{"role": "user", "content": "hi"}]}"#)
            #expect(ollama.json["done_reason"] as? String == "fake_unknown_reason")
        }
    }

    @Test(
        "bad bodies get 400 naming the problem, and the script in force stays",
        arguments: [
            ("/fake/faults", "not json", "the body is not JSON"),
            ("/fake/faults", #"{"rules": [{"fault": "nope"}]}"#, "rules[0].fault: unknown fault \"nope\""),
            (
                "/fake/faults", #"{"rules": [{"fault": "500", "every": 0}]}"#,
                "rules[0].every: expected an integer >= 1, got 0"
            ),
            ("/fake/latency", #"{"distribution": "uniform:2ms..1ms"}"#, "MIN must not exceed MAX"),
            ("/fake/latency", #"{"seed": 1}"#, "distribution: required"),
            ("/fake/latency", #"{"distribution": "10ms", "sede": 1}"#, "sede: unknown member"),
        ])
    func badBodies(_ path: String, _ body: String, _ expected: String) async throws {
        try await withRunningFake(
            FakeUpstreamConfiguration(faults: FaultScript(rules: [FaultRule(fault: .cut, budget: .every(2))]))
        ) { base, _ in
            let answer = try await Self.call(base, .PUT, path, body: body)
            #expect(answer.status == 400)
            #expect((answer.json["error"] as? String)?.contains(expected) == true, "\(answer.json)")
            let rules = try await Self.call(base, .GET, "/fake/faults").json["rules"] as? [[String: Any]]
            #expect(rules?.first?["fault"] as? String == "cut")
        }
    }

    @Test("latency: PUT a distribution with a seed, GET it back, DELETE resets it to none")
    func latency() async throws {
        try await withRunningFake { base, _ in
            let put = try await Self.call(
                base, .PUT, "/fake/latency", body: #"{"distribution": "uniform:1ms..3ms", "seed": 7}"#)
            #expect(put.status == 200)
            let got = try await Self.call(base, .GET, "/fake/latency").json
            #expect(got["distribution"] as? String == "uniform:1ms..3ms")
            #expect(got["seed"] as? Int == 7)
            #expect(try await Self.call(base, .POST, "/v1/chat/completions", body: Self.chat).status == 200)
            let reset = try await Self.call(base, .DELETE, "/fake/latency").json
            #expect(reset["distribution"] as? String == "fixed:0ms")
        }
    }

    @Test("timeout: the request hangs for the hang time, so the client gives up first")
    func timeout() async throws {
        try await withRunningFake(FakeUpstreamConfiguration(hangTime: .seconds(3))) { base, _ in
            var request = HTTPClientRequest(url: base + "/v1/chat/completions")
            request.method = .POST
            request.headers.add(name: "x-fake-fault", value: "timeout")
            request.body = .bytes(ByteBuffer(string: Self.chat))
            await #expect(throws: HTTPClientError.deadlineExceeded) {
                _ = try await HTTPClient.shared.execute(request, timeout: .milliseconds(300))
            }
        }
    }
}

/// A fake upstream in this process on a free port, for the duration of `body`.
func withRunningFake<T: Sendable>(
    _ configuration: FakeUpstreamConfiguration = FakeUpstreamConfiguration(),
    _ body: @Sendable (String, FakeUpstream) async throws -> T
) async throws -> T {
    var configuration = configuration
    configuration.port = 0
    let upstream = FakeUpstream(configuration: configuration)
    let (ports, continuation) = AsyncStream<Int>.makeStream()
    let server = Task {
        try await upstream.application { port in continuation.yield(port) }.runService()
    }
    defer { server.cancel() }
    var iterator = ports.makeAsyncIterator()
    guard let port = await iterator.next() else { throw CancellationError() }
    return try await body("http://127.0.0.1:\(port)", upstream)
}
