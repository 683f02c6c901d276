import Foundation
import HTTPTypes
public import Hummingbird
public import Logging
import NIOCore

/// A fake LLM upstream speaking the OpenAI (`/v1/chat/completions`, `/v1/models`), Anthropic
/// (`/v1/messages`) and Ollama (`/api/chat`, `/api/tags`) wire formats, incl. streaming (SSE,
/// NDJSON), usage and rate-limit headers, with deterministic content and scriptable faults. It
/// stands in for the real providers in tests, the demo and benchmarks (no internet here); the
/// official Python SDKs check that it is faithful.
public struct FakeUpstream: Sendable {
    public let configuration: FakeUpstreamConfiguration
    let logger: Logger
    /// The script's budgets, the latency, the counts: shared by every copy of this value.
    let state: FakeUpstreamState
    /// The simulated account limit's usage.
    let account: FakeAccount

    public init(
        configuration: FakeUpstreamConfiguration = FakeUpstreamConfiguration(),
        logger: Logger = Logger(label: "fake-upstream")
    ) {
        self.configuration = configuration
        self.logger = logger
        self.state = FakeUpstreamState(faults: configuration.faults, latency: configuration.latency)
        self.account = FakeAccount(limit: configuration.accountLimit)
    }

    /// The HTTP application; `onListening` receives the bound port once the server runs.
    public func application(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol
    {
        let router = Router()
        router.add(middleware: RequestCounting(state: state))
        ControlRoutes(upstream: self).register(on: router)
        OpenAIRoutes(upstream: self).register(on: router)
        AnthropicRoutes(upstream: self).register(on: router)
        let ollamaModels = OllamaModelRegistry()
        OllamaRoutes(upstream: self, management: OllamaManagementRoutes(upstream: self, registry: ollamaModels))
            .register(on: router)
        LlamaCppRoutes(upstream: self, registry: ollamaModels).register(on: router)
        return Application(
            router: router,
            // A deep accept queue: benchmarks open thousands of connections at once (the default 256
            // overflows and connections are reset).
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: "fake-upstream",
                backlog: 4_096),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: logger
        )
    }

    // MARK: Shared by the routes

    /// The request body as a JSON object; `nil` when it is not one.
    func body(of request: Request) async -> [String: Any]? {
        var request = request
        guard let buffer = try? await request.collectBody(upTo: 32 << 20) else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView))) as? [String: Any]
    }

    func json(_ object: Any, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        let data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data("{}".utf8)
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// A body that is not JSON at all, for the `malformed` fault.
    func malformed(contentType: String = "application/json") -> Response {
        Response(
            status: .ok, headers: [.contentType: contentType],
            body: ResponseBody(byteBuffer: ByteBuffer(string: "<html>upstream garbage {\"not\": json")))
    }

    /// A streamed body written by `write`.
    func stream(
        contentType: String, headers: HTTPFields = [:],
        _ write: @escaping @Sendable (inout any ResponseBodyWriter) async throws -> Void
    ) -> Response {
        var fields = headers
        fields[.contentType] = contentType
        fields[.cacheControl] = "no-cache"
        return Response(
            status: .ok, headers: fields,
            body: ResponseBody { writer in
                try await write(&writer)
            })
    }

    static func sse(event: String? = nil, _ object: Any) -> ByteBuffer {
        let data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data("{}".utf8)
        var text = event.map { "event: \($0)\n" } ?? ""
        text += "data: " + String(decoding: data, as: UTF8.self) + "\n\n"
        return ByteBuffer(string: text)
    }

    static func line(_ object: Any) -> ByteBuffer {
        let data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data("{}".utf8)
        return ByteBuffer(string: String(decoding: data, as: UTF8.self) + "\n")
    }

    /// Thrown inside a stream's writer to end the connection mid-stream (the `cut` fault).
    struct StreamCut: Error {}

    /// Ends a stream mid-way: a moment for what was written to reach the client, then the
    /// connection is dropped.
    static func cut() async throws -> Never {
        try await Task.sleep(for: .milliseconds(100))
        throw StreamCut()
    }

    /// A fresh id with `prefix`.
    static func id(_ prefix: String) -> String {
        prefix + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(24)
    }
}
