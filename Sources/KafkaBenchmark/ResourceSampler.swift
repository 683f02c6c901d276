import Foundation
import Synchronization

/// Samples calls in flight and resident memory every 10 ms while a scenario runs, on a thread of
/// its own (the cooperative pool is saturated during the runs, and a task would be sampled late).
final class ResourceSampler: Sendable {
    struct Sample: Sendable {
        var inFlight: Int
        var residentBytes: Int
        /// RSS right after returning free heap to the system (``ProcessUsage/trimHeap()``): the
        /// memory in use, without the high-water mark of buffers already freed.
        var liveBytes: Int?
    }

    struct Summary: Sendable {
        /// The sample with the most calls in flight (its memory is the peak's memory).
        var peak: Sample?
        /// Highest resident memory seen.
        var maxResidentBytes: Int
        var samples: Int
    }

    private let state = Mutex(Summary(peak: nil, maxResidentBytes: 0, samples: 0))
    private let running = Atomic<Bool>(false)

    /// Starts sampling `inFlight()` and the process's RSS every `intervalMicroseconds`.
    func start(intervalMicroseconds: UInt32 = 10_000, inFlight: @escaping @Sendable () -> Int) {
        running.store(true, ordering: .releasing)
        let thread = Thread {
            while self.running.load(ordering: .acquiring) {
                self.record(Sample(inFlight: inFlight(), residentBytes: ProcessUsage.residentBytes() ?? 0))
                usleep(intervalMicroseconds)
            }
        }
        thread.name = "kafka-bench.sampler"
        thread.start()
    }

    /// Stops sampling (takes one last sample first).
    func stop(inFlight: Int) -> Summary {
        running.store(false, ordering: .releasing)
        record(Sample(inFlight: inFlight, residentBytes: ProcessUsage.residentBytes() ?? 0))
        return state.withLock { $0 }
    }

    private func record(_ sample: Sample) {
        state.withLock { state in
            state.samples += 1
            state.maxResidentBytes = max(state.maxResidentBytes, sample.residentBytes)
            if sample.inFlight > (state.peak?.inFlight ?? 0) { state.peak = sample }
        }
    }
}
