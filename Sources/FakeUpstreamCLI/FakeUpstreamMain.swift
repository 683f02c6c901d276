import ArgumentParser
import Foundation
import FakeUpstream
import Hummingbird
import Logging

/// `fake-upstream`: the fake LLM upstream (OpenAI, Anthropic and Ollama wire formats) on loopback.
@main
struct FakeUpstreamMain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fake-upstream",
        abstract: "A fake LLM upstream: OpenAI /v1/chat/completions, Anthropic /v1/messages, Ollama /api/chat, with streaming and faults.",
        discussion: "Prints 'listening: http://HOST:PORT' once it accepts connections. Faults per request: header x-fake-fault (429, 500, 503, 529, malformed, cut, slow-first-byte); latency: x-fake-latency-ms."
    )

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "Port (0: any free port).")
    var port: Int = 0

    @Option(help: "Milliseconds before every answer.")
    var latencyMs: Int = 0

    @Option(help: "Pieces a streamed answer is cut into.")
    var streamChunks: Int = 6

    @Option(help: "Log level (trace ... critical).")
    var logLevel: String = "warning"

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535, got \(port)") }
        guard latencyMs >= 0 else { throw ValidationError("--latency-ms must not be negative") }
        guard streamChunks >= 1 else { throw ValidationError("--stream-chunks must be at least 1") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical") }
    }

    func run() async throws {
        var logger = Logger(label: "fake-upstream")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .warning
        let upstream = FakeUpstream(
            configuration: .init(host: host, port: port, latency: .milliseconds(latencyMs), streamChunks: streamChunks),
            logger: logger
        )
        let host = self.host
        try await upstream.application { port in
            // Unbuffered: whoever started this process waits for the line.
            FileHandle.standardOutput.write(Data("listening: http://\(host):\(port)\n".utf8))
        }.runService()
    }
}
