// The `fake-upstream` executable: the FakeUpstream server from the command line.

import ArgumentParser
import FakeUpstream
import Foundation
import Hummingbird
import Logging

/// `fake-upstream`: the fake LLM upstream (OpenAI, Anthropic and Ollama wire formats) on loopback.
@main
struct FakeUpstreamMain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fake-upstream",
        abstract:
            """
            A fake LLM upstream: OpenAI /v1/chat/completions, Anthropic /v1/messages, Ollama /api/chat, with \
            streaming and faults.
            """,
        discussion: """
            Prints 'listening: http://HOST:PORT' once it accepts connections. Faults per request: header x-fake-fault \
            (\(FakeFault.names)); latency: x-fake-latency-ms. Scripted faults and latency: --config FILE (YAML or \
            JSON), \
            or at runtime PUT/GET/DELETE /fake/faults and /fake/latency; counts: GET /fake/stats. See \
            docs/fake-upstream.md.
            """
    )

    @Option(
        help: ArgumentHelp(
            """
            YAML or JSON file: host, port, latency, faults, stream_chunks, retry_after_seconds, hang_ms. Options \
            given on the command line win.
            """,
            valueName: "file"))
    var config: String?

    @Option(help: "Address to listen on (default 127.0.0.1).")
    var host: String?

    @Option(help: "Port (0: any free port; default 0).")
    var port: Int?

    @Option(help: "Milliseconds before every answer (same as --latency Nms).")
    var latencyMs: Int?

    @Option(help: ArgumentHelp("Latency before every answer: \(LatencyDistribution.specHelp).", valueName: "spec"))
    var latency: String?

    @Option(help: "Seed of the latency draws (default 0).")
    var latencySeed: UInt64?

    @Option(help: "Pieces a streamed answer is cut into (default 6).")
    var streamChunks: Int?

    @Option(
        help: ArgumentHelp(
            """
            Simulated account limit per model: N requests per window (e.g. 60/1m, 10/2s); remaining counts in the \
            rate-limit headers, 429 beyond.
            """,
            valueName: "N/window"))
    var accountLimit: String?

    @Option(help: "Log level (trace ... critical).")
    var logLevel: String = "warning"

    func validate() throws {
        if let port {
            guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535, got \(port)") }
        }
        if let accountLimit, Self.parseAccountLimit(accountLimit) == nil {
            throw ValidationError(
                "--account-limit: '\(accountLimit)' is not N/window with N >= 1 and a window like 500ms, 2s or 1m")
        }
        if let latencyMs { guard latencyMs >= 0 else { throw ValidationError("--latency-ms must not be negative") } }
        if latencyMs != nil, latency != nil { throw ValidationError("give either --latency-ms or --latency, not both") }
        if let latency {
            do { _ = try LatencyDistribution(spec: latency) } catch {
                throw ValidationError("--latency: \(error.message)")
            }
        }
        if let streamChunks {
            guard streamChunks >= 1 else { throw ValidationError("--stream-chunks must be at least 1") }
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
    }

    /// The file's configuration (if any) with the command line's options over it.
    func configuration() throws(FakeConfigurationError) -> FakeUpstreamConfiguration {
        var configuration = FakeUpstreamConfiguration()
        if let config { configuration = try configuration.applying(file: config) }
        if let host { configuration.host = host }
        if let port { configuration.port = port }
        if let streamChunks { configuration.streamChunks = streamChunks }
        if let latencyMs {
            configuration.latency = FakeLatency(.fixed(.milliseconds(latencyMs)), seed: configuration.latency.seed)
        }
        if let latency {
            configuration.latency = FakeLatency(
                try LatencyDistribution(spec: latency), seed: configuration.latency.seed)
        }
        if let latencySeed { configuration.latency.seed = latencySeed }
        if let accountLimit { configuration.accountLimit = Self.parseAccountLimit(accountLimit) }
        return configuration
    }

    func run() async throws {
        var logger = Logger(label: "fake-upstream")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .warning
        let configuration: FakeUpstreamConfiguration
        do {
            configuration = try self.configuration()
        } catch {
            throw ValidationError(error.message)
        }
        let upstream = FakeUpstream(configuration: configuration, logger: logger)
        let host = configuration.host
        try await upstream.application { port in
            // Unbuffered: whoever started this process waits for the line.
            FileHandle.standardOutput.write(Data("listening: http://\(host):\(port)\n".utf8))
        }.runService()
    }

    /// `N/window`: `60/1m`, `10/2s`, `5/500ms`.
    static func parseAccountLimit(_ text: String) -> FakeAccountLimit? {
        let parts = text.split(separator: "/", maxSplits: 1)
        guard parts.count == 2, let requests = Int(parts[0]), requests >= 1 else { return nil }
        let window = parts[1]
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60)]
        for (suffix, seconds) in units where window.hasSuffix(suffix) {
            guard let amount = Double(window.dropLast(suffix.count)), amount > 0, amount.isFinite else { return nil }
            return FakeAccountLimit(
                requestsPerWindow: requests, window: .milliseconds(Int64((amount * seconds * 1000).rounded())))
        }
        return nil
    }
}
