/// What `provider-agents run` runs: its configuration file (the same format a deployment uses)
/// and its sample requests.
enum RunSetup {
    static let providers = ["openai", "anthropic", "local"]
    /// The model whose first OpenAI call the fake upstream answers with a 429.
    static let fallbackModel = "gpt-4o-mini"
    static let chatChain = ["openai/gpt-4o-mini", "anthropic/claude-haiku-4-5", "local/llama3.1:8b"]

    static func configuration(baseURL: String) -> String {
        """
        x-agent: &agent
          max_in_flight: 64
          max_concurrent_calls: 64
          session_timeout_ms: 6000
          status_interval_ms: 2000
          drain_timeout_ms: 5000
          http: { base_url: "\(baseURL)", request_timeout_ms: 30000 }
        agents:
          openai:
            <<: *agent
            backend: openai
            models: [gpt-4o, gpt-4o-mini]
            prices:
              gpt-4o: { input_per_million: 2.5, output_per_million: 10 }
              gpt-4o-mini: { input_per_million: 0.15, output_per_million: 0.6 }
          anthropic:
            <<: *agent
            backend: anthropic
            models: [claude-sonnet-4-5, claude-haiku-4-5]
            prices:
              claude-sonnet-4-5: { input_per_million: 3, output_per_million: 15 }
              claude-haiku-4-5: { input_per_million: 1, output_per_million: 5 }
          local:
            <<: *agent
            backend: ollama
            models: ["llama3.1:8b"]
        router:
          strategy: priority
          model_map: { chat: [\(chatChain.map { "\"\($0)\"" }.joined(separator: ", "))] }
          providers:
            openai: { vision: true, tools: true, streaming: true, max_context_tokens: 128000 }
            anthropic: { vision: true, tools: true, streaming: true, max_context_tokens: 200000 }
            local: { vision: false, tools: true, streaming: true, max_context_tokens: 131072 }
          max_attempts: 3
          backoff_base_ms: 50
          session_timeout_ms: 6000
          drain_timeout_ms: 5000
        """
    }

    /// One sample request of the run.
    struct Sample: Sendable {
        var title: String
        var model: String?
        var provider: String? = nil
        var prompt: String
        var stream = false
    }

    static let samples: [Sample] = [
        Sample(title: "OpenAI", model: "gpt-4o", prompt: "Name three prime numbers."),
        Sample(title: "Anthropic", model: "claude-sonnet-4-5", prompt: "Say hello in French."),
        Sample(title: "local model (Ollama)", model: "llama3.1:8b", prompt: "What is Kafka?"),
        Sample(title: "a stream", model: "claude-haiku-4-5", prompt: "Count from one to five.", stream: true),
        Sample(
            title: "a fallback: 'chat' asks openai/gpt-4o-mini first; the upstream answers 429 once", model: "chat",
            prompt: "Tell me a fact about routers."),
        Sample(title: "bad input: a model nobody serves", model: "gpt-imaginary", prompt: "Hello?"),
    ]
}
