/// What a worker's runtime did since it started (for status signals and metrics).
public struct WorkerCounters: Sendable, Hashable {
    /// Messages finished (their outputs published, or nothing to publish).
    public var finished = 0
    /// Messages given up without storing their offset (revoked, drain deadline, shutdown).
    public var abandoned = 0
    /// Messages sent to the dead-letter topic.
    public var deadLettered = 0
    /// Outputs whose first target refused them, answered through the handler's fallback.
    public var fellBack = 0
    /// Outputs held in memory until due (short waits).
    public var deferredInMemory = 0
    /// Outputs handed to the delay topic (long waits).
    public var delayed = 0
    /// Messages fetched before their partition was revoked or assigned again, dropped unhandled.
    public var staleDropped = 0

    public init() {}
}
