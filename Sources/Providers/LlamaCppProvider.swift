public import AgentCore
public import AsyncHTTPClient
import Foundation
import NIOCore
public import Signals

/// A llama.cpp server (`llama-server`): chat through its OpenAI-compatible endpoint
/// (``OpenAIProvider``, no key needed), health from `GET /health` (`{"status":"ok"}`; 503 while
/// the model is loading → `degraded`; no answer → `unavailable`). Default base URL
/// `http://127.0.0.1:8080`. Works with no internet.
public final class LlamaCppProvider: LLMProvider {
    public static let defaultBaseURL = "http://127.0.0.1:8080"

    public let name: String
    private let openAI: OpenAIProvider
    private let configuration: HTTPProviderConfiguration
    private let client: HTTPClient

    public init(name: String = "local", configuration: HTTPProviderConfiguration, client: HTTPClient = .shared) {
        self.name = name
        self.configuration = configuration
        self.client = client
        self.openAI = OpenAIProvider(name: name, configuration: configuration, client: client)
    }

    public var supportedFeatures: Set<ProviderFeature> { [.chat, .streaming, .tools] }

    public func models() async throws(ProviderCallError) -> [ModelInfo] { configuration.models }

    public func complete(_ request: ProviderRequest) async throws(ProviderCallError) -> Completion {
        try await openAI.complete(request)
    }

    public func stream(_ request: ProviderRequest) -> AsyncThrowingStream<StreamEvent, any Error> {
        openAI.stream(request)
    }

    public func health() async -> ProviderHealth {
        var http = HTTPClientRequest(url: configuration.baseURL + "/health")
        http.method = .GET
        guard let response = try? await client.execute(http, timeout: .seconds(2)) else { return .unavailable }
        guard response.status == .ok,
            let body = try? await response.body.collect(upTo: 64 * 1024),
            let object = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any],
            object["status"] as? String == "ok"
        else { return .degraded }
        return .healthy
    }
}
