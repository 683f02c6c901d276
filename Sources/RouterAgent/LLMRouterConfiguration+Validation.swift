public import Common
import Foundation
import Router
import Topics

extension LLMRouterConfiguration {
    /// Every rule of a router's configuration, whatever set it (file, environment, options):
    /// routing's and rerouting's and the process's own. Fields as the `router:` section names
    /// them (`max_attempts`), the connection as `kafka.bootstrap` and `kafka.topic_prefix`.
    public func validate() throws(InvalidSetting) {
        try SettingRule.instanceID(instanceID, at: ["instance_id"])
        try SettingRule.nonEmpty(bootstrapServers.trimmingCharacters(in: .whitespaces), at: ["kafka", "bootstrap"])
        try TopicNames.validate(prefix: topicPrefix)
        try routing.validate()
        try reroute.validate()
        try SettingRule.inRange(staleAfterMissedIntervals, 1, 1_000, at: ["stale_after_missed_intervals"])
        try SettingRule.atLeast(forgetAfter, milliseconds: 1, at: ["forget_after_ms"])
        try SettingRule.atLeast(maxInFlight, 1, at: ["max_in_flight"])
        try SettingRule.atLeast(maxMessageBytes, 1, at: ["max_message_bytes"])
        try SettingRule.inRange(sessionTimeout, milliseconds: 1, 3_600_000, at: ["session_timeout_ms"])
        try SettingRule.atLeast(drainTimeout, milliseconds: 0, at: ["drain_timeout_ms"])
        try SettingRule.atLeast(publishTimeout, milliseconds: 1, at: ["publish_timeout_ms"])
        try SettingRule.atLeast(shortWaitLimit, milliseconds: 0, at: ["short_wait_limit_ms"])
        try SettingRule.atLeast(journalWindow, milliseconds: 1_000, at: ["journal_window_ms"])
    }
}
