import Common
public import Hummingbird
public import Logging
import NIOCore
public import ServiceLifecycle
import Synchronization

/// A process's monitoring endpoint (`--metrics-listen HOST:PORT`): `GET /metrics` (Prometheus text
/// exposition of ``Telemetry``), `GET /health` (200 while the process lives) and `GET /ready` (200
/// once ``ready`` says the process holds its assignment and reaches the broker, 503 until then).
/// A service: it serves until cancelled or shut down with its group.
public final class MetricsEndpoint: Service, Sendable {
    public let host: String
    public let port: Int
    private let telemetry: Telemetry
    private let ready: @Sendable () -> Bool
    private let logger: Logger
    private let boundPort = Mutex<Int?>(nil)

    public init(host: String, port: Int, telemetry: Telemetry, logger: Logger, ready: @escaping @Sendable () -> Bool) {
        self.host = host
        self.port = port
        self.telemetry = telemetry
        self.logger = logger
        self.ready = ready
    }

    /// The port it listens on, once it does (useful with port 0).
    public var listeningPort: Int? { boundPort.withLock { $0 } }

    public func run() async throws {
        let router = Router()
        router.get("metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(
                status: .ok, headers: headers,
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: self.telemetry.exposition())))
        }
        router.get("health") { _, _ in "ok\n" }
        router.get("ready") { _, _ in
            self.ready()
                ? Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "ready\n")))
                : Response(
                    status: .serviceUnavailable, body: ResponseBody(byteBuffer: ByteBuffer(string: "not ready\n")))
        }
        let application = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "provider-agents-metrics"),
            onServerRunning: { channel in self.boundPort.withLock { $0 = channel.localAddress?.port } },
            logger: logger)
        logger.info("metrics endpoint listening", metadata: [LogKey.listen: "\(host):\(port)"])
        try await application.runService(gracefulShutdownSignals: [])
    }
}
