/// When machine load refuses requests or shrinks concurrency (all thresholds in percent, 0...100;
/// `nil` = off, the default).
///
/// Per resource (CPU, memory, GPU memory): at or above `max` every request is refused with
/// `resource_constrained` (retryable, `retry_after` = the refresh interval); between `soft` and
/// `max` the concurrency limit shrinks linearly from the configured `max_concurrent_calls` (at
/// `soft`) towards 1 (at `max`): `limit = max(1, floor(configured − (configured − 1) × (value −
/// soft) / (max − soft)))`; the tightest resource wins. Without `soft` there is no shrinking.
public struct ResourcePolicy: Sendable, Hashable {
    /// How often the machine is sampled. Default 2 s.
    public var refreshInterval: Duration
    public var maxCPUPercent: Double?
    public var softCPUPercent: Double?
    public var maxMemoryPercent: Double?
    public var softMemoryPercent: Double?
    public var maxGPUMemoryPercent: Double?
    public var softGPUMemoryPercent: Double?

    public init(
        refreshInterval: Duration = .seconds(2),
        maxCPUPercent: Double? = nil, softCPUPercent: Double? = nil,
        maxMemoryPercent: Double? = nil, softMemoryPercent: Double? = nil,
        maxGPUMemoryPercent: Double? = nil, softGPUMemoryPercent: Double? = nil
    ) {
        self.refreshInterval = refreshInterval
        self.maxCPUPercent = maxCPUPercent
        self.softCPUPercent = softCPUPercent
        self.maxMemoryPercent = maxMemoryPercent
        self.softMemoryPercent = softMemoryPercent
        self.maxGPUMemoryPercent = maxGPUMemoryPercent
        self.softGPUMemoryPercent = softGPUMemoryPercent
    }

    /// Whether any threshold is set.
    public var constrains: Bool {
        [maxCPUPercent, maxMemoryPercent, maxGPUMemoryPercent].contains { $0 != nil }
    }
}
