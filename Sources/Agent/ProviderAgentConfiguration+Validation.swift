public import AgentCore
public import Common
import Foundation
import Topics

extension ProviderAgentConfiguration {
    /// The policies a `configure_provider` changes, as configured (models sorted).
    public var policies: ProviderPolicies {
        ProviderPolicies(
            rateLimit: rateLimit, breaker: breaker, prices: prices,
            models: ServedModels(models.sorted(), defaultModel: defaultModel), maxConcurrentCalls: maxConcurrentCalls
        )
    }

    /// Every rule of an agent's configuration, whatever set it (file, environment, options):
    /// the policies' (``ProviderPolicies``, ``ResourcePolicy``, ``ModelRateTiers``) and the
    /// process's own. Fields are named as the provider's entry of the configuration file names
    /// them (`max_in_flight`, `rate_limit.window_ms`), the connection as `kafka.bootstrap` and
    /// `kafka.topic_prefix`.
    /// - Parameter orderedModels: the models as configured, in order (``models`` is a set, so
    ///   a model listed twice is only seen here).
    public func validate(orderedModels: [String]? = nil) throws(ProviderPolicies.Invalid) {
        try SettingRule.providerName(provider, at: ["provider"])
        try SettingRule.instanceID(instanceID, at: ["instance_id"])
        try SettingRule.nonEmpty(bootstrapServers.trimmingCharacters(in: .whitespaces), at: ["kafka", "bootstrap"])
        try TopicNames.validate(prefix: topicPrefix, provider: provider)
        try SettingRule.atLeast(maxInFlight, 1, at: ["max_in_flight"])
        var policies = self.policies
        if let orderedModels { policies.models.models = orderedModels }
        try policies.validate()
        try SettingRule.atLeast(maxMessageBytes, 1, at: ["max_message_bytes"])
        try SettingRule.inRange(sessionTimeout, milliseconds: 1, 3_600_000, at: ["session_timeout_ms"])
        try SettingRule.atLeast(statusInterval, milliseconds: 1, at: ["status_interval_ms"])
        try SettingRule.atLeast(drainTimeout, milliseconds: 0, at: ["drain_timeout_ms"])
        try SettingRule.atLeast(ledgerWindow, milliseconds: 1_000, at: ["ledger_window_ms"])
        try SettingRule.atLeast(ledgerMaxEntries, 1, at: ["ledger_max_entries"])
        try SettingRule.atLeast(publishTimeout, milliseconds: 1, at: ["publish_timeout_ms"])
        try resources.validate()
        try modelTiers.validate()
    }
}
