#if canImport(Glibc)
    import Glibc
#endif

/// What this process costs: CPU time (getrusage, user + system, every thread) and resident memory
/// (`/proc/self/statm`). Linux only, like the rest of the benchmark.
enum ProcessUsage {
    /// The broker's CPU seconds so far, when the benchmark started it (set once at the start).
    nonisolated(unsafe) static var brokerCPUSeconds: @Sendable () -> Double? = { nil }

    /// User + system CPU time of the whole process so far.
    static func cpuTime() -> Duration {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func duration(_ value: timeval) -> Duration {
            .seconds(Int64(value.tv_sec)) + .microseconds(Int64(value.tv_usec))
        }
        return duration(usage.ru_utime) + duration(usage.ru_stime)
    }

    /// Resident set size in bytes (second field of `/proc/self/statm`, in pages), `nil` if unreadable.
    static func residentBytes() -> Int? {
        let descriptor = open("/proc/self/statm", O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 128)
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        // "size resident shared text lib data dt"
        let fields = buffer[0..<count].split(separator: UInt8(ascii: " "))
        guard fields.count > 1, let pages = Int(String(decoding: fields[1], as: UTF8.self)) else { return nil }
        return pages * pageSize
    }

    private static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// Returns free heap memory to the system (glibc `malloc_trim(0)`, looked up at run time since
    /// Swift's Glibc module does not export it), so that a baseline RSS taken afterwards is not
    /// padded with memory freed by earlier phases that later allocations would silently reuse.
    static func trimHeap() {
        typealias Trim = @convention(c) (Int) -> Int32
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "malloc_trim") else { return }
        _ = unsafeBitCast(symbol, to: Trim.self)(0)
    }
}
