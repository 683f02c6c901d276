/// How the fake upstream behaves. Faults can also be asked per request with the
/// `x-fake-fault` header (`429`, `500`, `503`, `529`, `malformed`, `cut`, `slow-first-byte`) and
/// the latency with `x-fake-latency-ms`.
public struct FakeUpstreamConfiguration: Sendable {
    public var host: String
    /// 0: any free port (the bound one is reported by ``FakeUpstream/run(onListening:)``).
    public var port: Int
    /// Added before every answer (and before the first byte of a stream). Default 0.
    public var latency: Duration
    /// Pieces a streamed answer is cut into. Default 6.
    public var streamChunks: Int
    /// `retry-after` seconds of a simulated 429. Default 1.
    public var retryAfterSeconds: Int

    public init(host: String = "127.0.0.1", port: Int = 0, latency: Duration = .zero, streamChunks: Int = 6, retryAfterSeconds: Int = 1) {
        self.host = host
        self.port = port
        self.latency = latency
        self.streamChunks = streamChunks
        self.retryAfterSeconds = retryAfterSeconds
    }
}
