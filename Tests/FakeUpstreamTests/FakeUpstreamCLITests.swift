import Foundation
import KafkaTestSupport
import NIOHTTP1
import Testing

/// The `fake-upstream` executable reads its fault script and latency from `--config FILE` (the
/// command line's `--latency` winning), and refuses a bad file naming the problem.
@Suite("Fake upstream: the executable's --config and --latency", .serialized, .timeLimit(.minutes(1)))
struct FakeUpstreamCLITests {
    static func file(_ text: String) throws -> String {
        let path = SDKFidelityTests.temporaryFile("fake-config").replacingOccurrences(of: ".log", with: ".yaml")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("a YAML file's script and latency are in force; --latency and --latency-seed win over the file's latency")
    func config() async throws {
        let config = try Self.file(
            """
            stream_chunks: 3
            latency: {distribution: "fixed:1ms", seed: 3}
            faults:
              - {fault: 429, provider: openai, count: 1}
            """)
        let log = SDKFidelityTests.temporaryFile("fake-upstream-cli")
        let server = try ChildProcess(
            executable: SDKFidelityTests.binary,
            arguments: ["--config", config, "--latency", "uniform:1ms..2ms", "--latency-seed", "9"], logFile: log
        )
        defer { server.stop() }
        let pattern = #"http://127\.0\.0\.1:\d+"#
        try await waitUntil("the fake upstream listens", timeout: .seconds(30)) {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").range(of: pattern, options: .regularExpression)
                != nil
        }
        let text = try String(contentsOfFile: log, encoding: .utf8)
        let base = String(text[try #require(text.range(of: pattern, options: .regularExpression))])
        let rules =
            try await FakeUpstreamControlTests.call(base, .GET, "/fake/faults").json["rules"] as? [[String: Any]]
        #expect(rules?.count == 1)
        #expect(rules?.first?["fault"] as? String == "429")
        #expect(rules?.first?["provider"] as? String == "openai")
        let latency = try await FakeUpstreamControlTests.call(base, .GET, "/fake/latency").json
        #expect(latency["distribution"] as? String == "uniform:1ms..2ms")
        #expect(latency["seed"] as? Int == 9)
        var statuses: [Int] = []
        for _ in 0..<2 {
            statuses.append(
                try await FakeUpstreamControlTests.call(
                    base, .POST, "/v1/chat/completions", body: FakeUpstreamControlTests.chat
                ).status)
        }
        #expect(statuses == [429, 200])
    }

    @Test("a bad file stops the executable with the file, the place and the problem")
    func badFile() async throws {
        let config = try Self.file("faults:\n  - {fault: 429, every: 0}\n")
        let log = SDKFidelityTests.temporaryFile("fake-upstream-bad")
        let server = try ChildProcess(
            executable: SDKFidelityTests.binary, arguments: ["--config", config], logFile: log)
        defer { server.stop() }
        try await waitUntil("the fake upstream exits", timeout: .seconds(30)) { !server.isRunning }
        #expect(server.exitCode != 0)
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        let line = "\(config): faults[0].every: expected an integer >= 1, got 0"
        #expect(text.split(separator: "\n").contains { $0.hasSuffix(line) }, "a line ending with it: \(text)")
    }
}
