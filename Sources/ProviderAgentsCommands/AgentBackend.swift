import AgentCore
import Providers
public import ArgumentParser

/// What answers an agent's provider calls. `--backend` on the command line, `backend:` per agent
/// in the configuration file.
///
/// `test` (AgentCore's deterministic `TestProvider`) is the default; `openai` calls the OpenAI
/// API (or a compatible server) over HTTP. Anthropic and local adapters each add one case here
/// and one branch in ``makeProvider(provider:settings:)``.
public enum AgentBackend: String, Sendable, Hashable, CaseIterable, ExpressibleByArgument {
    /// Deterministic in-process provider: latency and failure rates from `test:` / `--test-*`.
    case test
    /// The OpenAI chat completions API over HTTP, or any OpenAI-compatible server (`http.base_url`).
    case openai

    public static let `default` = AgentBackend.test

    public static var allowedValues: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// The provider adapter for an agent of `provider` with these settings.
    func makeProvider(provider: String, settings: AgentSettings) -> any LLMProvider {
        switch self {
        case .test:
            TestProvider(configuration: settings.test.providerConfiguration(name: provider, models: settings.models))
        case .openai:
            OpenAIProvider(name: provider, configuration: HTTPProviderConfiguration(
                baseURL: settings.http.baseURL ?? "https://api.openai.com",
                apiKey: settings.apiKey,
                requestTimeout: settings.http.requestTimeout ?? .seconds(120),
                models: settings.models.map { ModelInfo(id: $0, contextWindow: 128_000, features: [.chat, .streaming, .tools, .vision]) }
            ))
        }
    }
}
