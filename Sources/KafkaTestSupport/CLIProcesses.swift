import Foundation

/// `provider-agents` OS processes on one broker and one topic prefix, for system tests: every topic
/// of `topics/` created under the prefix (`topics apply`), then processes started with the broker,
/// the prefix and `--log-level info` added, each logging to a file of its own.
public struct CLIProcesses: Sendable {
    /// The `provider-agents` executable.
    public let executable: String
    public let bootstrapServers: String
    /// Prepended to every topic name (ends with a dot).
    public let prefix: String

    /// A step of the set-up that failed, with what it printed.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public init(executable: String, bootstrapServers: String, prefix: String) {
        self.executable = executable
        self.bootstrapServers = bootstrapServers
        self.prefix = prefix
    }

    /// Runs `provider-agents topics apply` for the prefix; throws with its output when it fails.
    public func applyTopics() async throws {
        let log = Self.logFile("topics-apply")
        let process = try ChildProcess(
            executable: executable,
            arguments: ["topics", "apply", "--prefix", prefix, "--bootstrap", bootstrapServers],
            logFile: log)
        try await waitUntil("the topics exist", timeout: .seconds(60)) { !process.isRunning }
        guard process.exitCode == 0 else {
            throw Failure(
                description: "topics apply failed (exit \(String(describing: process.exitCode))): \(Self.output(log))")
        }
    }

    /// Starts `provider-agents <arguments>` on the broker and prefix; the process and its log file.
    public func start(_ arguments: [String], log name: String) throws -> (process: ChildProcess, log: String) {
        let log = Self.logFile(name)
        let process = try ChildProcess(
            executable: executable,
            arguments: arguments + ["--bootstrap", bootstrapServers, "--topic-prefix", prefix, "--log-level", "info"],
            logFile: log)
        return (process, log)
    }

    /// A fresh log file path in the temporary directory.
    public static func logFile(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent(uniqueName(name) + ".log").path
    }

    /// What a log file holds so far ("" when it cannot be read).
    public static func output(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }
}
