import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Samples the machine: CPU (`/proc/stat`, busy share between two refreshes), memory
/// (`/proc/meminfo`) and, when `nvidia-smi` is on `PATH`, GPU utilisation and memory. A reading
/// that fails leaves its part of the sample `nil` — never an error. File reads run on a private
/// dispatch queue and `nvidia-smi` as a child process whose exit is awaited through its
/// termination handler (killed after ``Sources/nvidiaSmiTimeout``), so the cooperative pool never
/// blocks. The agent calls ``refresh()`` periodically; ``latest`` is the last sample.
public final class ResourceMonitor: Sendable {
    /// Where the readings come from (tests point them elsewhere).
    public struct Sources: Sendable, Hashable {
        public var procStat: String
        public var meminfo: String
        /// `nil`: no GPU readings. Default: `nvidia-smi` when found on `PATH`.
        public var nvidiaSmi: String?
        /// Default 5 s; a slower `nvidia-smi` is killed and the GPU part left out.
        public var nvidiaSmiTimeout: Duration

        public init(
            procStat: String = "/proc/stat", meminfo: String = "/proc/meminfo",
            nvidiaSmi: String? = ResourceMonitor.findOnPath("nvidia-smi"), nvidiaSmiTimeout: Duration = .seconds(5)
        ) {
            self.procStat = procStat
            self.meminfo = meminfo
            self.nvidiaSmi = nvidiaSmi
            self.nvidiaSmiTimeout = nvidiaSmiTimeout
        }
    }

    public let sources: Sources
    private let queue = DispatchQueue(label: "resource-monitor")
    private let state = Mutex<(previousCPU: CPUTimes?, latest: ResourceSample?)>((nil, nil))

    public init(sources: Sources = Sources()) {
        self.sources = sources
    }

    /// The last sample (`nil` before the first refresh).
    public var latest: ResourceSample? { state.withLock { $0.latest } }

    /// Takes a sample now, keeps it as ``latest`` and returns it.
    @discardableResult
    public func refresh() async -> ResourceSample {
        let (statText, memText) = await withCheckedContinuation { continuation in
            queue.async { [sources] in
                continuation.resume(
                    returning: (
                        try? String(contentsOfFile: sources.procStat, encoding: .utf8),
                        try? String(contentsOfFile: sources.meminfo, encoding: .utf8)
                    ))
            }
        }
        let cpu = statText.flatMap { try? CPUTimes.parse(procStat: $0) }
        let memory = memText.flatMap { try? MemoryInfo.parse(meminfo: $0) }
        var gpu: GPUInfo?
        if let path = sources.nvidiaSmi,
            let output = await Self.run(path, arguments: GPUInfo.nvidiaSmiArguments, timeout: sources.nvidiaSmiTimeout)
        {
            gpu = try? GPUInfo.parse(nvidiaSmi: output)
        }
        return state.withLock { state in
            let percent = cpu.flatMap { current in state.previousCPU.flatMap { current.busyPercent(since: $0) } }
            if let cpu { state.previousCPU = cpu }
            // A CPU figure survives one failed or too-quick reading.
            let sample = ResourceSample(cpuPercent: percent ?? state.latest?.cpuPercent, memory: memory, gpu: gpu)
            state.latest = sample
            return sample
        }
    }

    /// The full path of an executable `name` on `PATH`, if any.
    public static func findOnPath(_ name: String, path: String? = nil) -> String? {
        for directory in (path ?? ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs `executable` and returns its standard output when it exits 0 within `timeout`;
    /// `nil` otherwise (it is killed at the timeout). Waits through the termination handler.
    static func run(_ executable: String, arguments: [String], timeout: Duration) async -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        // The timeout task, cancelled once the process has exited (whichever happens first).
        let watch = ExitWatch()
        return await withCheckedContinuation { (continuation: CheckedContinuation<String?, Never>) in
            process.terminationHandler = { finished in
                watch.state.withLock {
                    $0.exited = true
                    $0.killer?.cancel()
                }
                // The process has exited: its output is complete (and small).
                let data = output.fileHandleForReading.readDataToEndOfFile()
                let succeeded = finished.terminationReason == .exit && finished.terminationStatus == 0
                continuation.resume(returning: succeeded ? String(decoding: data, as: UTF8.self) : nil)
            }
            do {
                try process.run()
            } catch {
                continuation.resume(returning: nil)
                return
            }
            let pid = process.processIdentifier
            let killer = Task {
                guard (try? await Task.sleep(for: timeout)) != nil else { return }
                // SIGKILL: a child may inherit a mask that blocks SIGTERM. Only while its
                // termination handler has not run, so the pid is (all but surely) still this child's.
                if !watch.state.withLock({ $0.exited }) { kill(pid, SIGKILL) }
            }
            watch.state.withLock { state in
                if state.exited { killer.cancel() } else { state.killer = killer }
            }
        }
    }
}

/// Whether a child process has exited, and the task that kills it at its timeout.
private final class ExitWatch: Sendable {
    let state = Mutex<(exited: Bool, killer: Task<Void, Never>?)>((false, nil))
}
