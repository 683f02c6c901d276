import Foundation
import Kafka
import Synchronization
public import Topics

/// `provider-agents agent` OS processes serving one provider on topics of their own (a unique
/// topic prefix), for integration tests and benchmarks that run agents as separate processes:
/// creates every topic the agent needs, writes its configuration file, starts and stops instances.
///
/// The agents' consumer group is `<prefix>llm-provider-<provider>`, so groups of different
/// prefixes never meet (distinct provider names also keep Tansu's group faults apart). Stop every instance with
/// ``stopAll(grace:)`` whatever
/// happens (``run(_:)`` does it).
public final class AgentProcessGroup: Sendable {
    /// The `provider-agents` executable.
    public let executable: String
    public let bootstrapServers: String
    public let provider: String
    /// Prepended to every topic name (ends with a dot).
    public let prefix: String
    /// Partitions of the request topic (and of the ledger).
    public let partitions: Int
    /// The agents' configuration file (deleted by ``stopAll(grace:)``).
    public let configPath: String
    private let environment: [String: String]?
    private let started = Mutex<[(instance: String, process: ChildProcess, log: String)]>([])

    /// Creates the topics — `llm.requests.<provider>` and `llm.ledger.<provider>` with
    /// `partitions` each, `llm.control.<provider>` (1, compacted), `llm.responses`, `llm.errors`,
    /// `llm.dlq` with `answerPartitions` each, `llm.status` (1, compacted) — and writes a
    /// configuration file whose entry for `provider` holds `agentSettings` (YAML lines such as
    /// `"max_in_flight: 32"`).
    /// - Parameter environment: the agents' environment (default: this process's).
    public init(
        executable: String, bootstrapServers: String, provider: String, prefix: String, partitions: Int,
        answerPartitions: Int = 3, agentSettings: [String], environment: [String: String]? = nil
    ) async throws {
        self.executable = executable
        self.bootstrapServers = bootstrapServers
        self.provider = provider
        self.prefix = prefix
        self.partitions = partitions
        self.environment = environment
        let admin = try KafkaAdmin(configuration: KafkaConfiguration(bootstrapServers: bootstrapServers))
        let topics = TopicNames(prefix: prefix)
        _ = try await admin.createTopics(
            [
                KafkaTopicSpec(name: topics.requests(provider), partitions: partitions),
                KafkaTopicSpec(
                    name: topics.ledger(provider), partitions: partitions, configs: ["cleanup.policy": "delete"]),
                KafkaTopicSpec(name: topics.control(provider), partitions: 1, configs: ["cleanup.policy": "compact"]),
                KafkaTopicSpec(name: topics.responses, partitions: answerPartitions),
                KafkaTopicSpec(name: topics.errors, partitions: answerPartitions),
                KafkaTopicSpec(name: topics.deadLetters, partitions: answerPartitions),
                KafkaTopicSpec(name: topics.status, partitions: 1, configs: ["cleanup.policy": "compact"]),
            ], timeout: .seconds(30))
        configPath =
            FileManager.default.temporaryDirectory.appendingPathComponent(uniqueName("agents-\(provider)") + ".yaml")
            .path
        let lines = ["agents:", "  \(provider):"] + agentSettings.map { "    " + $0 }
        try lines.joined(separator: "\n").write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    public func topic(_ name: String) -> String { prefix + name }
    /// The group's topic names (behind its prefix).
    public var topics: TopicNames { TopicNames(prefix: prefix) }
    public var requestTopic: String { topics.requests(provider) }
    public var responseTopic: String { topics.responses }
    public var errorTopic: String { topics.errors }
    public var deadLetterTopic: String { topics.deadLetters }
    public var statusTopic: String { topics.status }

    /// Starts instance `instance` (`--instance-id`) with `arguments` after the group's own
    /// (`--provider`, `--config`, `--bootstrap`, `--topic-prefix`); its output goes to a log file
    /// in the temporary directory (``logFile(of:)``).
    @discardableResult
    public func start(_ instance: String, arguments: [String] = []) throws -> ChildProcess {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent(
            uniqueName("agent-\(provider)-\(instance)") + ".log"
        ).path
        let process = try ChildProcess(
            executable: executable,
            arguments: [
                "agent", "--provider", provider, "--config", configPath, "--bootstrap", bootstrapServers,
                "--topic-prefix", prefix, "--instance-id", instance,
            ] + arguments,
            environment: environment, logFile: log
        )
        started.withLock { $0.append((instance, process, log)) }
        return process
    }

    /// The log file of the last process started as `instance`.
    public func logFile(of instance: String) -> String? {
        started.withLock { $0.last { $0.instance == instance }?.log }
    }

    /// Instances started and still running.
    public var running: [String] {
        started.withLock { $0 }.filter { $0.process.isRunning }.map(\.instance)
    }

    /// Stops `instance` (SIGTERM: graceful shutdown; SIGKILL after `grace`); returns its exit code
    /// (`nil` if a signal ended it or it was not started).
    @discardableResult
    public func stop(_ instance: String, grace: Duration = .seconds(30)) async -> Int32? {
        guard let process = started.withLock({ $0.last { $0.instance == instance }?.process }) else { return nil }
        await process.terminate(grace: grace)
        return process.exitCode
    }

    /// Stops every instance still running, all at once, and removes the configuration file.
    public func stopAll(grace: Duration = .seconds(30)) async {
        let processes = started.withLock { $0 }.map(\.process)
        await withTaskGroup(of: Void.self) { group in
            for process in processes { group.addTask { await process.terminate(grace: grace) } }
        }
        try? FileManager.default.removeItem(atPath: configPath)
    }

    /// Runs `body`, then stops every instance — also when `body` throws.
    public func run<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        let result: T
        do {
            result = try await body()
        } catch {
            await stopAll()
            throw error
        }
        await stopAll()
        return result
    }
}
