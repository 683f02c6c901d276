/// What the machine looked like at one refresh. Each part is `nil` when it could not be read
/// (CPU needs two readings; GPU needs `nvidia-smi`).
public struct ResourceSample: Sendable, Hashable {
    /// Busy share of all CPUs since the previous reading, 0...100.
    public var cpuPercent: Double?
    public var memory: MemoryInfo?
    public var gpu: GPUInfo?

    public init(cpuPercent: Double? = nil, memory: MemoryInfo? = nil, gpu: GPUInfo? = nil) {
        self.cpuPercent = cpuPercent
        self.memory = memory
        self.gpu = gpu
    }
}
