/// The GPUs as `nvidia-smi --query-gpu=utilization.gpu,memory.total,memory.used
/// --format=csv,noheader,nounits` reports them, added up over all GPUs.
public struct GPUInfo: Sendable, Hashable {
    /// How many GPUs.
    public var count: Int
    /// Mean utilisation over the GPUs, 0...100 (`nil`: not reported, `[N/A]`).
    public var utilizationPercent: Double?
    public var memoryTotalBytes: Int
    public var memoryUsedBytes: Int

    public init(count: Int, utilizationPercent: Double?, memoryTotalBytes: Int, memoryUsedBytes: Int) {
        self.count = count
        self.utilizationPercent = utilizationPercent
        self.memoryTotalBytes = memoryTotalBytes
        self.memoryUsedBytes = memoryUsedBytes
    }

    /// 0...100.
    public var memoryUsedPercent: Double {
        memoryTotalBytes > 0 ? Double(memoryUsedBytes) / Double(memoryTotalBytes) * 100 : 0
    }

    /// The arguments that produce what ``parse(nvidiaSmi:)`` reads.
    public static let nvidiaSmiArguments = [
        "--query-gpu=utilization.gpu,memory.total,memory.used", "--format=csv,noheader,nounits",
    ]

    /// One line per GPU: `utilization %, memory total MiB, memory used MiB`. Utilisation may be
    /// `[N/A]`; memory must be numbers. No lines → an error (no GPU to report).
    public static func parse(nvidiaSmi text: String) throws(ResourceParseError) -> GPUInfo {
        var utilizations: [Double] = []
        var total = 0
        var used = 0
        var count = 0
        for (index, line) in text.split(whereSeparator: \.isNewline).enumerated() where !line.allSatisfy(\.isWhitespace)
        {
            let fields = line.split(separator: ",").map {
                $0.trimmingPrefix(" ").split(separator: " ").first.map(String.init) ?? ""
            }
            guard fields.count == 3 else {
                throw ResourceParseError(
                    source: "nvidia-smi",
                    message: "line \(index + 1) has \(fields.count) fields, 3 expected: '\(line.prefix(80))'")
            }
            guard let totalMiB = Int(fields[1]), let usedMiB = Int(fields[2]), totalMiB >= 0, usedMiB >= 0 else {
                throw ResourceParseError(
                    source: "nvidia-smi",
                    message: "line \(index + 1): memory '\(fields[1])', '\(fields[2])' are not MiB numbers")
            }
            if let utilization = Double(fields[0]) { utilizations.append(utilization) }
            total += totalMiB << 20
            used += usedMiB << 20
            count += 1
        }
        guard count > 0 else { throw ResourceParseError(source: "nvidia-smi", message: "no GPU listed") }
        let mean = utilizations.isEmpty ? nil : utilizations.reduce(0, +) / Double(utilizations.count)
        return GPUInfo(count: count, utilizationPercent: mean, memoryTotalBytes: total, memoryUsedBytes: used)
    }
}
