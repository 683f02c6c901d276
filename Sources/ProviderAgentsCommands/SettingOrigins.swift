import Common

/// Which command-line option (or environment variable) set which field, so that a broken rule
/// names where the value came from: the option, else the file's key, else the field.
struct SettingOrigins {
    /// Field (as the rules name it: `test.server_error_rate`, `kafka.bootstrap`) → the option.
    private(set) var options: [(field: String, name: String)] = []

    mutating func add(_ field: String, _ name: String, when given: Bool) {
        if given { options.append((field, name)) }
    }

    /// The error for `invalid`: named by the option that set the field, something inside it
    /// (a combination: `test` for the sum of the test rates) or around it; else by the file and
    /// the key path under `section` (`kafka.*` from the top); else by the field alone.
    func error(
        for invalid: InvalidSetting, file: AgentConfigurationFile?, section: [String]
    ) -> AgentConfigurationError {
        let field = invalid.field
        for option in options {
            let inside =
                field == option.field || field.hasPrefix(option.field + ".")
                || field.hasPrefix(option.field + "[")
            let around = option.field.hasPrefix(field + ".")
            if inside || around { return .option(option.name, invalid.message) }
        }
        let fromTop = invalid.keys.first == "kafka"
        let key = InvalidSetting.render((fromTop ? [] : section.map { .name($0) }) + invalid.keys)
        guard let file, !file.path.isEmpty else { return AgentConfigurationError(key: key, message: invalid.message) }
        return AgentConfigurationError(file: file.path, key: key, message: invalid.message)
    }
}
