import AgentCore
public import ArgumentParser
import AsyncHTTPClient
public import Common
import Providers
import Signals

/// What answers an agent's provider calls. `--backend` on the command line, `backend:` per agent
/// in the configuration file.
///
/// `test` (AgentCore's deterministic `TestProvider`) is the default; `openai` calls the OpenAI
/// API (or a compatible server) over HTTP, `anthropic` the Messages API, `ollama` a local Ollama
/// (with model management: `load_model`, ...), `llamacpp` a local llama.cpp server.
public enum AgentBackend: String, Sendable, Hashable, CaseIterable, ExpressibleByArgument {
    /// Deterministic in-process provider: latency and failure rates from `test:` / `--test-*`.
    case test
    /// The OpenAI chat completions API over HTTP, or any OpenAI-compatible server (`http.base_url`).
    case openai
    /// The Anthropic Messages API over HTTP.
    case anthropic
    /// A local Ollama server (no key; works offline).
    case ollama
    /// A local llama.cpp server (`llama-server`): its OpenAI-compatible endpoint, `/health`; no key.
    case llamacpp

    /// The upstream when `http.base_url` names none.
    var defaultBaseURL: String? {
        switch self {
        case .test: nil
        case .openai: "https://api.openai.com"
        case .anthropic: "https://api.anthropic.com"
        case .ollama: "http://127.0.0.1:11434"
        case .llamacpp: LlamaCppProvider.defaultBaseURL
        }
    }

    /// The environment variable holding the API key when `http.api_key_env` names none.
    var defaultKeyVariable: String? {
        switch self {
        case .test: nil
        case .openai: "OPENAI_API_KEY"
        case .anthropic: "ANTHROPIC_API_KEY"
        case .ollama, .llamacpp: nil
        }
    }

    public static let `default` = AgentBackend.test

    public static var allowedValues: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// The backend `name` stands for; an error at `backend` listing the known ones.
    public init(named name: String) throws(InvalidSetting) {
        self = try SettingRule.named(name, "backend", at: ["backend"])
    }

    /// The provider adapter for an agent of `provider` with these settings.
    func makeProvider(provider: String, settings: AgentSettings, client: HTTPClient) -> any LLMProvider {
        switch self {
        case .test:
            TestProvider(configuration: settings.test.providerConfiguration(name: provider, models: settings.models))
        case .openai:
            OpenAIProvider(
                name: provider,
                configuration: http(settings, contextWindow: 128_000, features: [.chat, .streaming, .tools, .vision]),
                client: client)
        case .anthropic:
            AnthropicProvider(
                name: provider,
                configuration: http(settings, contextWindow: 200_000, features: [.chat, .streaming, .tools, .vision]),
                client: client)
        case .ollama:
            OllamaProvider(
                name: provider,
                configuration: http(settings, contextWindow: 8_192, features: [.chat, .streaming, .tools, .vision]),
                client: client)
        case .llamacpp:
            LlamaCppProvider(
                name: provider,
                configuration: http(settings, contextWindow: 8_192, features: [.chat, .streaming, .tools]),
                client: client)
        }
    }

    private func http(_ settings: AgentSettings, contextWindow: Int, features: Set<ProviderFeature>)
        -> HTTPProviderConfiguration
    {
        HTTPProviderConfiguration(
            baseURL: settings.http.baseURL ?? defaultBaseURL ?? "",
            apiKey: settings.apiKey,
            requestTimeout: settings.http.requestTimeout ?? .seconds(120),
            models: settings.models.map { ModelInfo(id: $0, contextWindow: contextWindow, features: features) }
        )
    }
}
