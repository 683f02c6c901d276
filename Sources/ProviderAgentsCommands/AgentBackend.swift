import AgentCore
public import ArgumentParser

/// What answers an agent's provider calls. `--backend` on the command line, `backend:` per agent
/// in the configuration file.
///
/// Only `test` exists so far (AgentCore's deterministic `TestProvider`), and it is the default.
/// The OpenAI, Anthropic and local (Ollama / llama.cpp) HTTP adapters arrive with the next issue:
/// each adds one case here and one branch in ``makeProvider(provider:settings:)``; the default then
/// becomes the provider's own adapter.
public enum AgentBackend: String, Sendable, Hashable, CaseIterable, ExpressibleByArgument {
    /// Deterministic in-process provider: latency and failure rates from `test:` / `--test-*`.
    case test

    public static let `default` = AgentBackend.test

    public static var allowedValues: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// The provider adapter for an agent of `provider` with these settings.
    func makeProvider(provider: String, settings: AgentSettings) -> any LLMProvider {
        switch self {
        case .test:
            TestProvider(configuration: settings.test.providerConfiguration(name: provider, models: settings.models))
        }
    }
}
