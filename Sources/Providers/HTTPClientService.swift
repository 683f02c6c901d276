public import AsyncHTTPClient
public import ServiceLifecycle

/// Owns the process's HTTP client for the adapters: runs until shutdown, then closes the client's
/// connections. First in the `ServiceGroup`, so it is shut down last (after the agents drained).
public final class HTTPClientService: Service, Sendable {
    public let client: HTTPClient

    public init(settings: HTTPClientSettings = HTTPClientSettings()) {
        client = settings.makeClient()
    }

    public func run() async throws {
        // Waits for the group's graceful shutdown (or cancellation) — nothing runs here before.
        try? await gracefulShutdown()
        try await client.shutdown()
    }
}
