/// How the fake upstream behaves. Faults can also be asked per request with the `x-fake-fault`
/// header (see ``FakeFault``) and the latency with `x-fake-latency-ms`; both win over the
/// configuration. The script and the latency can be changed at runtime (`/fake/faults`,
/// `/fake/latency`).
public struct FakeUpstreamConfiguration: Sendable {
    public var host: String
    /// 0: any free port (the bound one is reported by ``FakeUpstream/application(onListening:)``).
    public var port: Int
    /// Waited before every answer (before the first byte of a stream). Default: none.
    public var latency: FakeLatency
    /// Faults injected by rule. Default: none.
    public var faults: FaultScript
    /// Pieces a streamed answer is cut into. Default 6.
    public var streamChunks: Int
    /// `retry-after` seconds of a simulated 429. Default 1.
    public var retryAfterSeconds: Int
    /// How long a `timeout` fault keeps the request unanswered (the client should give up
    /// first). Default 60 s.
    public var hangTime: Duration
    /// A simulated account limit per model (real remaining counts in the rate-limit headers, 429
    /// beyond it). Default: none (static, generous headers).
    public var accountLimit: FakeAccountLimit?

    public init(
        host: String = "127.0.0.1", port: Int = 0, latency: FakeLatency = .zero, faults: FaultScript = FaultScript(),
        streamChunks: Int = 6, retryAfterSeconds: Int = 1, hangTime: Duration = .seconds(60),
        accountLimit: FakeAccountLimit? = nil
    ) {
        self.accountLimit = accountLimit
        self.host = host
        self.port = port
        self.latency = latency
        self.faults = faults
        self.streamChunks = streamChunks
        self.retryAfterSeconds = retryAfterSeconds
        self.hangTime = hangTime
    }
}
