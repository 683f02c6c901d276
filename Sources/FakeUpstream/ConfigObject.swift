import Foundation

/// A JSON / YAML object being read into configuration, with the path of every member, so an
/// error names exactly what is wrong (`rules[1].count: expected an integer >= 1, got -2`).
/// Unknown members are refused (a typo must not silently mean "no limit").
struct ConfigObject {
    let members: [String: Any]
    let path: String

    init(_ value: Any?, at path: String) throws(FakeConfigurationError) {
        guard let members = value as? [String: Any] else {
            throw FakeConfigurationError(
                "\(path.isEmpty ? "the body" : path): expected an object, got \(Self.describe(value))")
        }
        self.members = members
        self.path = path
    }

    func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func has(_ key: String) -> Bool { members[key] != nil && !(members[key] is NSNull) }

    func refuseUnknown(allowed: Set<String>) throws(FakeConfigurationError) {
        if let unknown = members.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw FakeConfigurationError(
                "\(name(unknown)): unknown member (expected one of \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    func string(_ key: String) throws(FakeConfigurationError) -> String? {
        guard has(key) else { return nil }
        guard let value = members[key] as? String else {
            throw FakeConfigurationError("\(name(key)): expected a string, got \(Self.describe(members[key]))")
        }
        return value
    }

    func integer(_ key: String, atLeast minimum: Int) throws(FakeConfigurationError) -> Int? {
        guard has(key) else { return nil }
        guard let number = Self.number(members[key]), number == number.rounded(), number >= Double(minimum),
            number < 1e15
        else {
            throw FakeConfigurationError(
                "\(name(key)): expected an integer >= \(minimum), got \(Self.describe(members[key]))")
        }
        return Int(number)
    }

    func double(_ key: String, in range: ClosedRange<Double>) throws(FakeConfigurationError) -> Double? {
        guard has(key) else { return nil }
        guard let number = Self.number(members[key]), number.isFinite, range.contains(number) else {
            throw FakeConfigurationError(
                """
                \(name(key)): expected a number in \(range.lowerBound)...\(range.upperBound), got \
                \(Self.describe(members[key]))
                """
            )
        }
        return number
    }

    /// Milliseconds (a number, or a duration text like `250ms`, `1.5s`) as a duration.
    func milliseconds(_ key: String) throws(FakeConfigurationError) -> Duration? {
        guard has(key) else { return nil }
        if let number = Self.number(members[key]), number.isFinite, number >= 0 {
            return .microseconds(Int64((number * 1000).rounded()))
        }
        if let text = members[key] as? String, let duration = LatencyDistribution.duration(text) { return duration }
        throw FakeConfigurationError(
            """
            \(name(key)): expected milliseconds >= 0 (a number, or text like 250ms or 1.5s), got \
            \(Self.describe(members[key]))
            """
        )
    }

    /// A number, not a boolean (JSONSerialization reads both as NSNumber).
    static func number(_ value: Any?) -> Double? {
        guard let value else { return nil }
        if type(of: value) == Int.self { return (value as? Int).map(Double.init) }
        if type(of: value) == Double.self { return value as? Double }
        if type(of: value) == Bool.self { return nil }
        if let number = value as? NSNumber { return String(cString: number.objCType) == "c" ? nil : number.doubleValue }
        return nil
    }

    static func describe(_ value: Any?) -> String {
        switch value {
        case nil, is NSNull: return "nothing"
        case let text as String: return "\"\(text.count > 40 ? text.prefix(40) + "…" : text)\""
        case is [Any]: return "a list"
        case is [String: Any]: return "an object"
        case let value? where type(of: value) == Bool.self: return "\(value)"
        case let number as NSNumber where String(cString: number.objCType) == "c":
            return number.boolValue ? "true" : "false"
        case let value?: return "\(value)"
        }
    }
}
