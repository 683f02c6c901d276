import Hummingbird
import ServiceLifecycle

extension FakeUpstream {
    /// A fake upstream serving in this process (tests, benchmarks, the embedded run).
    public struct Running: Sendable {
        /// `http://HOST:PORT`, for an adapter's base URL.
        public let baseURL: String
        public let port: Int
        /// The fake itself (its stats, its fault script).
        public let upstream: FakeUpstream
        let group: ServiceGroup
        let server: Task<Void, any Error>

        /// Requests served and faults injected so far.
        public var stats: FakeUpstreamStats { upstream.stats }

        /// Stops serving — gracefully: connections close after their answers — and waits until
        /// the server is down.
        public func stop() async {
            await group.triggerGracefulShutdown()
            _ = await server.result
        }
    }

    /// Starts serving on the configured host and port (0: a free one) and returns once it listens.
    public func start() async throws -> Running {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [application { port in continuation.yield(port) }], logger: logger
            ))
        let server = Task {
            defer { continuation.finish() }
            try await group.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            // The server ended before listening: its error says why.
            try await server.value
            throw CancellationError()
        }
        return Running(
            baseURL: "http://\(configuration.host):\(port)", port: port, upstream: self, group: group, server: server)
    }
}
