import Foundation
import KafkaTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `provider-agents run` — the README's run command — as a newcomer runs it: everything in one
/// process on the embedded broker.
@Suite("provider-agents run: the all-in-one embedded run", .timeLimit(.minutes(3)))
struct RunCommandTests {
    static func start(_ arguments: [String]) throws -> (ChildProcess, String) {
        let log = AgentCommandTests.logFile("run")
        // Each run's gateway on a port of its own (the tests run side by side).
        let port = try freeLoopbackPort()
        let process = try ChildProcess(
            executable: AgentCommandTests.cliPath,
            arguments: ["run", "--gateway-listen", "127.0.0.1:\(port)"] + arguments, logFile: log)
        return (process, log)
    }

    @Test(
        """
        sample answers from every provider, a stream, a fallback with its route, a bad request's error, an \
        answer through the HTTP gateway, live status, then a clean stop
        """
    )
    func samplesAndStatus() async throws {
        let (process, log) = try Self.start(["--duration", "4", "--load", "5", "--status-every", "2"])
        defer { process.stop(grace: .seconds(30)) }
        try await waitUntil("the run ends by itself", timeout: .seconds(150)) { !process.isRunning }
        let output = AgentCommandTests.output(log)
        #expect(process.exitCode == 0, "\(output)")
        #expect(output.contains("← openai/gpt-4o "), "\(output)")
        #expect(output.contains("← anthropic/claude-sonnet-4-5 "))
        #expect(output.contains("← local/llama3.1:8b "))
        #expect(output.contains("chunks: [Fake anthropic reply"), "the stream's chunks are shown as they come")
        // The fallback: openai answered 429 (scripted in the fake upstream), anthropic answered attempt 2.
        #expect(output.contains("attempt 1: openai/gpt-4o-mini → rate_limited"), "\(output)")
        #expect(output.contains("← anthropic/claude-haiku-4-5 (instance run-anthropic, attempt 2)"))
        #expect(output.contains("← provider_error model_unavailable") && output.contains("'gpt-imaginary'"))
        // The same system through the HTTP gateway, as an OpenAI client calls it.
        #expect(
            output.contains(
                #"chat.completion: Fake anthropic reply from claude-sonnet-4-5 to "Hello, gateway!""#), "\(output)")
        // Live status with the background load flowing through the router.
        let statuses = output.components(separatedBy: "-- status at ").count - 1
        #expect(statuses >= 2, "status tables: \(statuses)")
        // Each status names the client's duplicates so far: parsed, so that "10 duplicates" is not "0 duplicates".
        let duplicates = output.matches(of: /client: \d+ answers, (\d+) duplicates dropped/).compactMap { Int($0.1) }
        #expect(duplicates.count == statuses, "one client line per status table: \(duplicates)")
        #expect(!duplicates.isEmpty && duplicates.allSatisfy { $0 == 0 }, "no duplicate answers: \(duplicates)")
        #expect(output.contains("stopped cleanly"))
        #expect(!output.contains("✗"), "no sample failed")
        #expect(!output.lowercased().contains("fatal error"))
    }

    @Test("Ctrl-C (SIGINT) stops every part cleanly with exit 0")
    func interrupt() async throws {
        let (process, log) = try Self.start(["--status-every", "1"])
        defer { process.stop(grace: .seconds(30)) }
        try await waitUntil("the status is showing", timeout: .seconds(120)) {
            AgentCommandTests.output(log).contains("-- status at ")
        }
        process.send(SIGINT)
        try await waitUntil("the run stops after Ctrl-C", timeout: .seconds(40)) { !process.isRunning }
        let output = AgentCommandTests.output(log)
        #expect(process.exitCode == 0, "\(output)")
        #expect(output.contains("stopped cleanly"))
    }
}
