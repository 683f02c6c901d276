import AgentCore

extension AgentBackend {
    /// The per-model RPM / TPM a backend starts from (the file's `model_limits` go over them):
    /// the published first-tier figures for OpenAI and Anthropic models, nothing for the rest.
    var defaultModelTiers: ModelRateTiers {
        switch rawValue {
        case "openai": .openAIDefaults
        case "anthropic": .anthropicDefaults
        default: .none
        }
    }
}
