import Foundation
import Yams

extension FakeUpstreamConfiguration {
    /// Members of a configuration file.
    static let fileMembers: Set<String> = [
        "host", "port", "latency", "faults", "stream_chunks", "retry_after_seconds", "hang_ms",
    ]

    /// This configuration with the settings of a YAML or JSON file applied (members it leaves out
    /// keep their values):
    ///
    /// ```yaml
    /// port: 8089
    /// stream_chunks: 6
    /// retry_after_seconds: 1
    /// hang_ms: 30000
    /// latency: uniform:100ms..300ms          # or {distribution: "normal:200ms,50ms", seed: 7}
    /// faults:
    ///   - {fault: "429", provider: openai, count: 2}
    ///   - {fault: cut, every: 5}
    ///   - {fault: "500", provider: anthropic, model: claude-haiku-4-5, probability: 0.1, seed: 42}
    /// ```
    public func applying(fileContents text: String, named file: String) throws(FakeConfigurationError)
        -> FakeUpstreamConfiguration
    {
        let document: Any?
        do {
            document = try Yams.load(yaml: text)
        } catch {
            throw FakeConfigurationError("\(file): not YAML or JSON: \(error)")
        }
        var configuration = self
        do throws(FakeConfigurationError) {
            let object = try ConfigObject(document ?? [String: Any](), at: "")
            try object.refuseUnknown(allowed: Self.fileMembers)
            if let host = try object.string("host") { configuration.host = host }
            if let port = try object.integer("port", atLeast: 0) {
                guard port <= 65535 else { throw FakeConfigurationError("port: expected 0...65535, got \(port)") }
                configuration.port = port
            }
            if let chunks = try object.integer("stream_chunks", atLeast: 1) { configuration.streamChunks = chunks }
            if let seconds = try object.integer("retry_after_seconds", atLeast: 0) {
                configuration.retryAfterSeconds = seconds
            }
            if let hang = try object.milliseconds("hang_ms") { configuration.hangTime = hang }
            if object.has("latency") {
                configuration.latency = try FakeLatency(json: object.members["latency"], at: "latency")
            }
            if object.has("faults") {
                configuration.faults = try FaultScript(rulesJSON: object.members["faults"], at: "faults")
            }
        } catch {
            throw FakeConfigurationError("\(file): \(error.message)")
        }
        return configuration
    }

    /// ``applying(fileContents:named:)`` with the file at `path`.
    public func applying(file path: String) throws(FakeConfigurationError) -> FakeUpstreamConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw FakeConfigurationError("\(path): cannot be read: \(error.localizedDescription)")
        }
        return try applying(fileContents: text, named: path)
    }
}
