/// The checks settings share, and their words. Each throws ``InvalidSetting`` at `keys`; the
/// policies' validators are built from them, so a rule reads the same wherever it applies.
public enum SettingRule {
    public typealias Keys = [InvalidSetting.Key]

    /// `must be >= minimum, got value`.
    public static func atLeast(_ value: Int, _ minimum: Int, at keys: Keys) throws(InvalidSetting) {
        guard value >= minimum else { throw InvalidSetting(keys, "must be >= \(minimum), got \(value)") }
    }

    /// `must be >= minimum, got value` or `must be <= maximum, got value`.
    public static func inRange(_ value: Int, _ minimum: Int, _ maximum: Int, at keys: Keys) throws(InvalidSetting) {
        try atLeast(value, minimum, at: keys)
        guard value <= maximum else { throw InvalidSetting(keys, "must be <= \(maximum), got \(value)") }
    }

    /// A duration set in whole milliseconds (`*_ms` keys), at least `minimum` ms.
    public static func atLeast(_ value: Duration, milliseconds minimum: Int64, at keys: Keys) throws(InvalidSetting) {
        let milliseconds = value.wholeMilliseconds
        guard milliseconds >= minimum, value >= .milliseconds(minimum) else {
            throw InvalidSetting(keys, "must be >= \(minimum), got \(milliseconds)")
        }
    }

    /// A duration set in whole milliseconds, between `minimum` and `maximum` ms.
    public static func inRange(
        _ value: Duration, milliseconds minimum: Int64, _ maximum: Int64, at keys: Keys
    ) throws(InvalidSetting) {
        try atLeast(value, milliseconds: minimum, at: keys)
        guard value <= .milliseconds(maximum) else {
            throw InvalidSetting(keys, "must be <= \(maximum), got \(value.wholeMilliseconds)")
        }
    }

    /// A price or a weight: `must be >= 0, got value` (finite).
    public static func nonNegative(_ value: Double, at keys: Keys) throws(InvalidSetting) {
        guard value >= 0, value.isFinite else { throw InvalidSetting(keys, "must be >= 0, got \(value)") }
    }

    /// A threshold: `must be > 0 and <= 1, got value`.
    public static func fraction(_ value: Double, at keys: Keys) throws(InvalidSetting) {
        guard value > 0, value <= 1 else { throw InvalidSetting(keys, "must be > 0 and <= 1, got \(value)") }
    }

    /// A share of calls: `must be between 0 and 1, got value`.
    public static func share(_ value: Double, at keys: Keys) throws(InvalidSetting) {
        guard value >= 0, value <= 1 else { throw InvalidSetting(keys, "must be between 0 and 1, got \(value)") }
    }

    /// A part held back from something: `must be >= 0 and < 1, got value`.
    public static func reserve(_ value: Double, at keys: Keys) throws(InvalidSetting) {
        guard value >= 0, value < 1 else { throw InvalidSetting(keys, "must be >= 0 and < 1, got \(value)") }
    }

    /// A load threshold: `must be > 0 and <= 100 (percent), got value`.
    public static func percent(_ value: Double, at keys: Keys) throws(InvalidSetting) {
        guard value > 0, value <= 100 else {
            throw InvalidSetting(keys, "must be > 0 and <= 100 (percent), got \(value)")
        }
    }

    /// `must not be empty`.
    public static func nonEmpty(_ value: String, at keys: Keys) throws(InvalidSetting) {
        guard !value.isEmpty else { throw InvalidSetting(keys, "must not be empty") }
    }

    /// A value of a closed set of names: `unknown <what> 'text' (available: a, b, c)`.
    public static func named<Value: RawRepresentable & CaseIterable>(
        _ text: String, _ what: String, at keys: Keys
    ) throws(InvalidSetting) -> Value where Value.RawValue == String {
        guard let value = Value(rawValue: text) else {
            let known = Value.allCases.map(\.rawValue).joined(separator: ", ")
            throw InvalidSetting(keys, "unknown \(what) '\(text)' (available: \(known))")
        }
        return value
    }

    /// A provider name (`[a-z0-9_-]+`, at most 100 characters): it goes into topic and group names.
    public static func providerName(_ name: String, at keys: Keys) throws(InvalidSetting) {
        guard isProviderName(name) else {
            throw InvalidSetting(
                keys, "'\(name)' is not a provider name: lowercase letters, digits, '-' or '_' ([a-z0-9_-]+)"
            )
        }
    }

    public static func isProviderName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 100
            && name.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_"
            }
    }

    /// An instance id: 1 to 200 letters, digits, `.`, `_` and `-`. It appears in client ids,
    /// signals and the status key `<provider>/<instance>`.
    public static func instanceID(_ id: String, at keys: Keys) throws(InvalidSetting) {
        try nonEmpty(id, at: keys)
        guard id.count <= 200 else { throw InvalidSetting(keys, "must be at most 200 characters") }
        guard isNameText(id) else {
            throw InvalidSetting(keys, "'\(id)' may only contain letters, digits, '.', '_' and '-'")
        }
    }

    /// Letters, digits, `.`, `_`, `-` (what Kafka allows in topic names).
    public static func isNameText(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
                || $0 == "." || $0 == "_" || $0 == "-"
        }
    }
}
