import Dispatch
import Foundation
import KafkaTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The broker the benchmark talks to: one given with `--bootstrap`, or a Tansu started here on
/// a free loopback port and stopped by ``release()`` — or on SIGINT / SIGTERM, so an interrupted
/// run leaves no broker behind (nor the agent and fake-upstream processes it started).
final class BrokerLease: Sendable {
    let bootstrapServers: String
    private let tansu: TansuBroker?
    private let signalWatch: SignalWatch

    private init(bootstrapServers: String, tansu: TansuBroker?) {
        self.bootstrapServers = bootstrapServers
        self.tansu = tansu
        signalWatch = SignalWatch(signals: [SIGINT, SIGTERM]) { number in
            progress("kafka-bench: signal \(number), stopping the processes started here")
            ChildProcess.killAll()
            tansu?.stop()
            exit(128 + number)
        }
    }

    var startedHere: Bool { tansu != nil }

    /// CPU seconds the broker used so far, when it was started here.
    var brokerCPUSeconds: Double? { tansu?.cpuSeconds }

    static func acquire(bootstrap: String?, startTimeout: Duration) async throws -> BrokerLease {
        if let bootstrap {
            return BrokerLease(bootstrapServers: bootstrap, tansu: nil)
        }
        let tansu = try await TansuBroker.start(timeout: startTimeout)
        return BrokerLease(bootstrapServers: tansu.bootstrapServers, tansu: tansu)
    }

    /// Stops the broker if this process started it (bounded: SIGKILL after a grace period). Idempotent.
    func release() {
        signalWatch.cancel()
        tansu?.stop()
    }
}
