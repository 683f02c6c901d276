/// What answers the benchmark agent's calls.
enum BenchBackend: String, Sendable, Hashable, CaseIterable {
    /// AgentCore's in-process test provider.
    case test
    /// The real adapters, over HTTP to the fake upstream.
    case openai, anthropic, ollama

    /// A model the fake upstream serves in this wire format.
    var model: String {
        switch self {
        case .test, .openai: "gpt-4o-mini"
        case .anthropic: "claude-haiku-4-5"
        case .ollama: "llama3.1:8b"
        }
    }
}
