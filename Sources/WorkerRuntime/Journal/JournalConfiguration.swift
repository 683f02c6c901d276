/// How a worker keeps its journal (see ``Journal``).
public struct JournalConfiguration: Sendable, Hashable {
    /// The journal topic; it must have at least as many partitions as every input topic whose
    /// messages are journaled (a request's records go to its own partition number).
    public var topic: String
    /// Requests recorded this long ago or less are recognised when they come again — a
    /// redelivery after a crash or a rebalance, a router's successor sending a request again, a
    /// client retrying the same request id. Older ones are called again. When a partition is
    /// assigned, its journal is read from this long before its first unfinished request on.
    /// Default 10 minutes.
    public var window: Duration
    /// Added to the window when the journal is read at an assignment, for clocks of different
    /// hosts that disagree (records are found by their timestamps). Default 30 s.
    public var clockSkewMargin: Duration
    /// At most this many requests are remembered per partition; beyond it the oldest are
    /// forgotten before their window ends (counted). Default 250,000.
    public var maxEntriesPerPartition: Int

    public init(
        topic: String, window: Duration = .seconds(600), clockSkewMargin: Duration = .seconds(30),
        maxEntriesPerPartition: Int = 250_000
    ) {
        self.topic = topic
        self.window = window
        self.clockSkewMargin = clockSkewMargin
        self.maxEntriesPerPartition = maxEntriesPerPartition
    }
}
