/// `resource_status` (Local): the answer to `get_resource_status`.
public struct ResourceStatus: Sendable, Hashable, Codable {
    public var provider: String
    public var loadedModels: [String]
    public var memoryTotalBytes: Int?
    public var memoryUsedBytes: Int?
    public var gpuMemoryTotalBytes: Int?
    public var gpuMemoryUsedBytes: Int?
    /// 0...100 (per machine, not per core).
    public var cpuPercent: Double?
    public var inFlight: Int?
    public var requestID: String?
    public var instance: String?

    public init(
        provider: String, loadedModels: [String], memoryTotalBytes: Int? = nil, memoryUsedBytes: Int? = nil,
        gpuMemoryTotalBytes: Int? = nil, gpuMemoryUsedBytes: Int? = nil, cpuPercent: Double? = nil,
        inFlight: Int? = nil, requestID: String? = nil, instance: String? = nil
    ) {
        self.provider = provider
        self.loadedModels = loadedModels
        self.memoryTotalBytes = memoryTotalBytes
        self.memoryUsedBytes = memoryUsedBytes
        self.gpuMemoryTotalBytes = gpuMemoryTotalBytes
        self.gpuMemoryUsedBytes = gpuMemoryUsedBytes
        self.cpuPercent = cpuPercent
        self.inFlight = inFlight
        self.requestID = requestID
        self.instance = instance
    }

    enum CodingKeys: String, CodingKey {
        case provider, instance
        case loadedModels = "loaded_models"
        case memoryTotalBytes = "memory_total_bytes"
        case memoryUsedBytes = "memory_used_bytes"
        case gpuMemoryTotalBytes = "gpu_memory_total_bytes"
        case gpuMemoryUsedBytes = "gpu_memory_used_bytes"
        case cpuPercent = "cpu_percent"
        case inFlight = "in_flight"
        case requestID = "request_id"
    }
}
