public import Common

/// The models a provider serves and the one used when a request names none.
public struct ServedModels: Sendable, Hashable {
    /// In configuration order.
    public var models: [String]
    /// One of ``models``; `nil`: a request naming no model names none.
    public var defaultModel: String?

    public init(_ models: [String], defaultModel: String? = nil) {
        self.models = models
        self.defaultModel = defaultModel
    }

    /// The rules, whatever set the models: at least one, each named once and not empty; the
    /// default model one of them. Fields `models`, `models[i]`, `default_model`.
    public func validate() throws(ProviderPolicies.Invalid) {
        try Self.validate(models: models)
        guard let defaultModel else { return }
        try SettingRule.nonEmpty(defaultModel, at: ["default_model"])
        guard models.contains(defaultModel) else {
            throw ProviderPolicies.Invalid(
                ["default_model"], "'\(defaultModel)' is not one of models (\(models.sorted().joined(separator: ", ")))"
            )
        }
    }

    /// The rules of a list of models on its own.
    public static func validate(models: [String]) throws(ProviderPolicies.Invalid) {
        guard !models.isEmpty else { throw ProviderPolicies.Invalid(["models"], "must list at least one model") }
        for (index, model) in models.enumerated() {
            try SettingRule.nonEmpty(model, at: ["models", .index(index)])
            guard !models[..<index].contains(model) else {
                throw ProviderPolicies.Invalid(["models", .index(index)], "model '\(model)' is listed twice")
            }
        }
    }
}
