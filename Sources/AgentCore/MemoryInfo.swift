/// The machine's memory (`/proc/meminfo`): total and available (what can be allocated without
/// swapping; used = total − available).
public struct MemoryInfo: Sendable, Hashable {
    public var totalBytes: Int
    public var availableBytes: Int

    public init(totalBytes: Int, availableBytes: Int) {
        self.totalBytes = totalBytes
        self.availableBytes = availableBytes
    }

    public var usedBytes: Int { max(0, totalBytes - availableBytes) }
    /// 0...100.
    public var usedPercent: Double { totalBytes > 0 ? Double(usedBytes) / Double(totalBytes) * 100 : 0 }

    /// Reads `MemTotal` and `MemAvailable` (kB) from `/proc/meminfo` text.
    public static func parse(meminfo text: String) throws(ResourceParseError) -> MemoryInfo {
        var values: [String: Int] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let key = String(parts[0])
            guard key == "MemTotal" || key == "MemAvailable" else { continue }
            let words = parts[1].split(separator: " ")
            guard let number = words.first.flatMap({ Int($0) }), number >= 0 else {
                throw ResourceParseError(
                    source: "/proc/meminfo", message: "\(key): '\(parts[1].trimmingPrefix(" "))' is not a number of kB")
            }
            guard words.count == 1 || words.dropFirst().first == "kB" else {
                throw ResourceParseError(source: "/proc/meminfo", message: "\(key): unit '\(words[1])' is not kB")
            }
            values[key] = number * 1024
        }
        guard let total = values["MemTotal"], total > 0 else {
            throw ResourceParseError(source: "/proc/meminfo", message: "MemTotal is missing")
        }
        guard let available = values["MemAvailable"] else {
            throw ResourceParseError(source: "/proc/meminfo", message: "MemAvailable is missing")
        }
        return MemoryInfo(totalBytes: total, availableBytes: min(available, total))
    }
}
