public import Common

extension RerouteSettings {
    /// The rules of rerouting, whatever set it: 1 to 100 attempts, a deadline of at least 1 ms,
    /// backoffs of at least 0 with the cap at or above the base, fallbacks to another, named
    /// model. Fields as the `router:` section names them.
    public func validate() throws(InvalidSetting) {
        try SettingRule.inRange(maxAttempts, 1, 100, at: ["max_attempts"])
        try SettingRule.atLeast(totalDeadline, milliseconds: 1, at: ["total_deadline_ms"])
        try SettingRule.atLeast(backoffBase, milliseconds: 0, at: ["backoff_base_ms"])
        try SettingRule.atLeast(backoffMax, milliseconds: 0, at: ["backoff_max_ms"])
        guard backoffMax >= backoffBase else {
            throw InvalidSetting(
                ["backoff_max_ms"],
                "must be >= backoff_base_ms (\(backoffBase.wholeMilliseconds)), got \(backoffMax.wholeMilliseconds)"
            )
        }
        for (model, larger) in contextFallbacks.sorted(by: { $0.key < $1.key }) {
            guard !model.isEmpty else { throw InvalidSetting(["context_fallbacks"], "a model name must not be empty") }
            try SettingRule.nonEmpty(larger, at: ["context_fallbacks", .name(model)])
            guard larger != model else {
                throw InvalidSetting(["context_fallbacks", .name(model)], "must name another model than '\(model)'")
            }
        }
    }
}
