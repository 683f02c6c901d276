public import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import NIOSSL

/// How the process's one HTTP client connects to upstreams (all adapters of a process share it).
public struct HTTPClientSettings: Sendable, Hashable {
    /// Establishing a connection (TCP + TLS). Default 10 s.
    public var connectTimeout: Duration
    /// Longest silence while an answer is read (`nil`: only the request timeout bounds a call).
    /// Default `nil`: a model may think for a long time before its first byte.
    public var readTimeout: Duration?
    /// HTTP/1.1 connections kept per upstream host: each call in flight over HTTP/1.1 holds one
    /// (HTTP/2 over TLS multiplexes instead). Default 1,024.
    public var maxConnectionsPerHost: Int
    /// An idle pooled connection is closed after this. Default 60 s.
    public var idleTimeout: Duration
    /// A PEM file of CA certificates to trust instead of the system's (a private gateway).
    public var caFile: String?
    /// Verify the upstream's certificate. Default on; off only for a test gateway.
    public var verifyCertificates: Bool

    public init(
        connectTimeout: Duration = .seconds(10), readTimeout: Duration? = nil, maxConnectionsPerHost: Int = 1_024,
        idleTimeout: Duration = .seconds(60), caFile: String? = nil, verifyCertificates: Bool = true
    ) {
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
        self.maxConnectionsPerHost = maxConnectionsPerHost
        self.idleTimeout = idleTimeout
        self.caFile = caFile
        self.verifyCertificates = verifyCertificates
    }

    /// A client with these settings on the shared event loop group; shut it down when done
    /// (``HTTPClientService`` does at the end of the process).
    public func makeClient() -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile { tls.trustRoots = .file(caFile) }
        if !verifyCertificates { tls.certificateVerification = .none }
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls,
            timeout: .init(connect: Self.timeAmount(connectTimeout), read: readTimeout.map(Self.timeAmount)),
            connectionPool: .init(
                idleTimeout: Self.timeAmount(idleTimeout),
                concurrentHTTP1ConnectionsPerHostSoftLimit: maxConnectionsPerHost)
        )
        configuration.httpVersion = .automatic
        configuration.decompression = .enabled(limit: .ratio(100))
        // No span per request: the process bootstraps no tracer, and with the default (the global
        // no-op tracer) the client still built every span's attributes — ~4% of an agent's CPU
        // per call in the adapter benchmark.
        configuration.tracing.tracer = nil
        configuration.http1_1ConnectionDebugInitializer = Self.addFlushCoalescer
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Puts a ``RequestFlushCoalescer`` between the request encoder and the client's handler of a
    /// new HTTP/1.1 connection (async-http-client's hook for its connections' pipelines).
    @Sendable static func addFlushCoalescer(_ channel: any Channel) -> EventLoopFuture<Void> {
        @Sendable func add() throws {
            let pipeline = channel.pipeline.syncOperations
            let encoder = try pipeline.handler(type: HTTPRequestEncoder.self)
            try pipeline.addHandler(RequestFlushCoalescer(), position: .after(encoder))
        }
        if channel.eventLoop.inEventLoop { return channel.eventLoop.makeCompletedFuture(Result { try add() }) }
        return channel.eventLoop.submit { try add() }
    }

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
