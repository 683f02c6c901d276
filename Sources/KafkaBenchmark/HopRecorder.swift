import Synchronization
import WorkerRuntime

/// Keeps when each message (by key, a request id) reached each stage in one worker: the
/// benchmark's observer for the latency breakdown.
final class HopRecorder: WorkerObserver, Sendable {
    private let stages = Mutex<[[UInt8]: [WorkerStage: ContinuousClock.Instant]]>([:])
    /// Record only keys with this prefix (the timed requests), so warm-up and statuses stay out.
    let prefix: [UInt8]

    init(prefix: String) {
        self.prefix = Array(prefix.utf8)
    }

    func observe(_ stage: WorkerStage, key: [UInt8]?, at instant: ContinuousClock.Instant) {
        guard let key, key.starts(with: prefix) else { return }
        stages.withLock { stages in
            // The first time a message reaches a stage (a replay would come later).
            if stages[key]?[stage] == nil { stages[key, default: [:]][stage] = instant }
        }
    }

    func instants(_ key: String) -> [WorkerStage: ContinuousClock.Instant] {
        stages.withLock { $0[Array(key.utf8)] ?? [:] }
    }
}
