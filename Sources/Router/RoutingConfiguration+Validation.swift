public import Common

extension RoutingConfiguration {
    /// The rules of routing, whatever set it. Fields as the `router:` section names them
    /// (`model_map.chat[1]`, `providers.openai.max_context_tokens`, `weights.openai`).
    public func validate() throws(InvalidSetting) {
        for (model, targets) in modelProviders.sorted(by: { $0.key < $1.key }) {
            guard !model.isEmpty else { throw InvalidSetting(["model_map"], "a model name must not be empty") }
            let keys: [InvalidSetting.Key] = ["model_map", .name(model)]
            guard !targets.isEmpty else { throw InvalidSetting(keys, "must list at least one provider") }
            for (index, target) in targets.enumerated() {
                let provider = String(target.prefix { $0 != "/" })
                guard SettingRule.isProviderName(provider) else {
                    throw InvalidSetting(
                        keys + [.index(index)],
                        "'\(target)' must be a provider name or provider/model (provider: [a-z0-9_-]+)"
                    )
                }
                guard !targets[..<index].contains(target) else {
                    throw InvalidSetting(keys + [.index(index)], "'\(target)' is listed twice")
                }
                // Providers are known from configuration (agents or capabilities) once any is.
                let known = knownProviders.union(capabilities.keys)
                guard known.isEmpty || known.contains(provider) else {
                    throw InvalidSetting(
                        keys + [.index(index)],
                        "names provider '\(provider)', which neither agents: nor router.providers defines"
                    )
                }
            }
        }
        for (provider, capability) in capabilities.sorted(by: { $0.key < $1.key }) {
            try SettingRule.providerName(provider, at: ["providers", .name(provider)])
            if let tokens = capability.maxContextTokens {
                try SettingRule.atLeast(tokens, 1, at: ["providers", .name(provider), "max_context_tokens"])
            }
            for (index, model) in capability.models.enumerated() {
                try SettingRule.nonEmpty(model, at: ["providers", .name(provider), "models", .index(index)])
            }
        }
        for (provider, weight) in weights.sorted(by: { $0.key < $1.key }) {
            try SettingRule.nonNegative(weight, at: ["weights", .name(provider)])
        }
        try SettingRule.nonNegative(defaultWeight, at: ["default_weight"])
        try SettingRule.atLeast(assumedCompletionTokens, 1, at: ["assumed_completion_tokens"])
    }
}

extension RoutingStrategy {
    /// The strategy `name` stands for (`least_loaded`, ...), or an error at `strategy` listing
    /// the known ones.
    public init(named name: String) throws(InvalidSetting) {
        self = try SettingRule.named(name, "strategy", at: ["strategy"])
    }
}
