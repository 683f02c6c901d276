import Foundation
import KafkaTestSupport
import Testing

/// The fake upstream against the official Python SDKs (`openai`, `anthropic`, `ollama`, installed
/// by scripts/setup.sh): each completes a normal and a streaming call and sees the errors it
/// should; `openai` completes a tool call (plain, streamed by hand and with its accumulating
/// stream helper), `anthropic` a tool call (plain, streamed, forced, answered) and an image
/// request, and gets a 400 naming the field for a bad image. Proves the wire formats are faithful
/// enough for real clients.
@Suite("Fake upstream: official SDKs", .serialized, .timeLimit(.minutes(3)))
struct SDKFidelityTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The built `fake-upstream` sits beside the test bundle (`swift build --build-tests` builds both).
    static var binary: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
            "fake-upstream"
        ).path
    }

    static func temporaryFile(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent(uniqueName(name) + ".log").path
    }

    @Test(
        """
        each SDK completes a normal and a streaming call with the same deterministic text, tool calls and images, \
        and maps the errors
        """,
        arguments: [
            ("openai", "Fake openai reply from gpt-4o-mini to \\\"hello fake upstream\\\""),
            ("anthropic", "Fake anthropic reply from claude-haiku-4-5 to \\\"hello fake upstream\\\""),
            ("ollama", "Fake ollama reply from llama3.1:8b to \\\"hello fake upstream\\\""),
        ])
    func sdk(_ provider: String, _ expected: String) async throws {
        let port = try freeLoopbackPort()
        let serverLog = Self.temporaryFile("fake-upstream")
        let server = try ChildProcess(
            executable: Self.binary, arguments: ["--port", "\(port)", "--stream-chunks", "5"], logFile: serverLog)
        defer { server.stop() }
        try await waitUntil("the fake upstream listens", timeout: .seconds(30)) {
            ((try? String(contentsOfFile: serverLog, encoding: .utf8)) ?? "").contains(
                "listening: http://127.0.0.1:\(port)")
        }
        let output = Self.temporaryFile("sdk-\(provider)")
        let python = Self.root.appendingPathComponent(".venv/bin/python").path
        let script = Self.root.appendingPathComponent("Tests/FakeUpstreamTests/sdk_fidelity.py").path
        let client = try ChildProcess(
            executable: python, arguments: [script, provider, "http://127.0.0.1:\(port)"], logFile: output)
        defer { client.stop() }
        try await waitUntil("the \(provider) SDK script finishes", timeout: .seconds(120)) { !client.isRunning }
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        #expect(client.exitCode == 0, "\(provider) SDK script failed:\n\(text)")
        #expect(text.contains(expected), "\(text)")
        #expect(server.isRunning, "the fake upstream survives every call, faults included")
    }
}
