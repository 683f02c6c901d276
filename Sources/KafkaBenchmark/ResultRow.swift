/// One line of the benchmark table.
struct ResultRow: Sendable {
    var scenario: String
    /// Message value size in bytes.
    var size: Int
    var messages: Int
    /// Messages per second over the measured interval.
    var rate: Double?
    /// Message-value megabytes (10^6 bytes) per second over the measured interval.
    var megabytesPerSecond: Double?
    var latency: LatencySummary?
    /// Failed deliveries, sends or offset stores in this scenario.
    var errors: Int

    init(
        scenario: String, size: Int, messages: Int, elapsed: Duration?, latency: LatencySummary? = nil, errors: Int = 0
    ) {
        self.scenario = scenario
        self.size = size
        self.messages = messages
        if let elapsed, elapsed > .zero {
            let seconds = elapsed.seconds
            rate = Double(messages) / seconds
            megabytesPerSecond = Double(messages) * Double(size) / seconds / 1_000_000
        }
        self.latency = latency
        self.errors = errors
    }
}

extension Duration {
    /// Fractional seconds.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
