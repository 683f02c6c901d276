/// The machine's cumulative CPU time (the `cpu` line of `/proc/stat`, in clock ticks): busy
/// percentage is measured between two readings.
public struct CPUTimes: Sendable, Hashable {
    /// user + nice + system + idle + iowait + irq + softirq + steal.
    public var total: UInt64
    /// idle + iowait.
    public var idle: UInt64

    public init(total: UInt64, idle: UInt64) {
        self.total = total
        self.idle = idle
    }

    /// Reads the aggregate `cpu` line of `/proc/stat` text (at least user, nice, system, idle).
    public static func parse(procStat text: String) throws(ResourceParseError) -> CPUTimes {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else {
            throw ResourceParseError(source: "/proc/stat", message: "no aggregate 'cpu' line")
        }
        let fields = line.split(separator: " ").dropFirst()
        var values: [UInt64] = []
        for field in fields.prefix(8) {
            guard let value = UInt64(field) else {
                throw ResourceParseError(source: "/proc/stat", message: "'\(field)' in the cpu line is not a counter")
            }
            values.append(value)
        }
        guard values.count >= 4 else {
            throw ResourceParseError(
                source: "/proc/stat", message: "the cpu line has \(values.count) counters, at least 4 expected")
        }
        let idle = values[3] + (values.count > 4 ? values[4] : 0)
        return CPUTimes(total: values.reduce(0, +), idle: idle)
    }

    /// Busy share of the CPU time elapsed since `earlier`, 0...100; `nil` when no time elapsed or
    /// the counters went backwards.
    public func busyPercent(since earlier: CPUTimes) -> Double? {
        guard total > earlier.total, idle >= earlier.idle else { return nil }
        let elapsed = Double(total - earlier.total)
        let idled = Double(idle - earlier.idle)
        return min(100, max(0, (elapsed - idled) / elapsed * 100))
    }
}
