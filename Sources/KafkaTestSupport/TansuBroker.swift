import Foundation
import Kafka
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A real Kafka-compatible broker (Tansu, memory storage) on a free loopback port.
///
/// ``shared()`` returns the broker of the test run: the one named by `PA_KAFKA_BOOTSTRAP` (the
/// test command starts it) or, when that is unset, one started here and stopped when the process
/// exits. Tests isolate themselves with unique topic and group names (``uniqueName(_:)``).
public final class TansuBroker: Sendable {
    public let bootstrapServers: String
    private let process: ChildProcess?

    /// CPU seconds (user + system) the broker process used so far, when it was started here.
    public var cpuSeconds: Double? { process?.cpuSeconds }

    private init(bootstrapServers: String, process: ChildProcess?) {
        self.bootstrapServers = bootstrapServers
        self.process = process
    }

    private static let sharedBroker = Mutex<Task<TansuBroker, any Error>?>(nil)

    /// The test run's broker.
    public static func shared() async throws -> TansuBroker {
        let task = sharedBroker.withLock { task in
            if let task { return task }
            let started = Task { () throws -> TansuBroker in
                if let bootstrap = ProcessInfo.processInfo.environment["PA_KAFKA_BOOTSTRAP"], !bootstrap.isEmpty {
                    return TansuBroker(bootstrapServers: bootstrap, process: nil)
                }
                let broker = try await start()
                registerForExit(broker)
                return broker
            }
            task = started
            return started
        }
        return try await task.value
    }

    /// Starts a new broker on a free port and waits until it answers metadata requests.
    public static func start(timeout: Duration = .seconds(20)) async throws -> TansuBroker {
        let binary = try locateBinary()
        let port = try freeLoopbackPort()
        let address = "127.0.0.1:\(port)"
        var environment = ProcessInfo.processInfo.environment
        environment["RUST_LOG"] = environment["RUST_LOG"] ?? "warn"
        let process = try ChildProcess(
            executable: binary,
            arguments: [
                "broker", "--listener-url", "tcp://\(address)", "--advertised-listener-url", "tcp://\(address)",
            ],
            environment: environment
        )
        let broker = TansuBroker(bootstrapServers: address, process: process)
        do {
            try await broker.waitUntilReady(timeout: timeout)
        } catch {
            broker.stop()
            throw error
        }
        return broker
    }

    /// Stops a broker this helper started (no-op for one given by the environment); bounded.
    public func stop() {
        process?.stop()
    }

    /// Creates a topic (idempotent).
    public func createTopic(_ name: String, partitions: Int, configs: [String: String] = [:]) async throws {
        let admin = try KafkaAdmin(configuration: KafkaConfiguration(bootstrapServers: bootstrapServers))
        _ = try await admin.createTopics([KafkaTopicSpec(name: name, partitions: partitions, configs: configs)])
    }

    private func waitUntilReady(timeout: Duration) async throws {
        let admin = try KafkaAdmin(configuration: KafkaConfiguration(bootstrapServers: bootstrapServers))
        let deadline = ContinuousClock.now + timeout
        var lastError: (any Error)?
        while ContinuousClock.now < deadline {
            if let process, !process.isRunning {
                throw TansuError("tansu exited before it accepted connections")
            }
            do {
                _ = try await admin.metadata(timeout: .seconds(1))
                return
            } catch {
                lastError = error
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        throw TansuError(
            "tansu at \(bootstrapServers) did not answer within \(timeout): \(String(describing: lastError))")
    }

    /// `TANSU_BIN`, else `.venv/bin/tansu` of the package (installed by scripts/setup.sh).
    static func locateBinary() throws -> String {
        if let path = ProcessInfo.processInfo.environment["TANSU_BIN"], !path.isEmpty { return path }
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = directory.appendingPathComponent(".venv/bin/tansu").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        throw TansuError("tansu binary not found: run scripts/setup.sh (it installs it into .venv) or set TANSU_BIN")
    }

    private static let startedBrokers = Mutex<[TansuBroker]>([])

    private static func registerForExit(_ broker: TansuBroker) {
        let first = startedBrokers.withLock { brokers in
            brokers.append(broker)
            return brokers.count == 1
        }
        if first {
            atexit {
                // Memory-only broker: nothing to lose, so no need to wait during exit.
                for broker in TansuBroker.startedBrokers.withLock({ $0 }) {
                    broker.process?.send(SIGKILL)
                }
            }
        }
    }
}

public struct TansuError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// A port on 127.0.0.1 that was free a moment ago (bound to port 0, read back, closed).
public func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TansuError("socket() failed: errno \(errno)") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { throw TansuError("bind() failed: errno \(errno)") }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// A name no other test run or test uses: `prefix-<random>`.
public func uniqueName(_ prefix: String) -> String {
    "\(prefix)-\(UInt64.random(in: 0...UInt64.max) & 0xFFFF_FFFF_FFFF)"
}
