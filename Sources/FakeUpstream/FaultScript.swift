import Common

/// An ordered list of ``FaultRule``s the fake upstream applies to the requests it serves: the
/// first rule that matches a request and whose budget fires decides its fault; a request no rule
/// fires for is answered normally. A request's `x-fake-fault` header wins over the script (the
/// script does not see that request).
///
/// JSON (`PUT /fake/faults`) and YAML (`faults:` in a configuration file) use the same shape:
/// `{"rules": [{"fault": "429", "provider": "openai", "count": 2}, {"fault": "cut", "every": 3}]}`.
public struct FaultScript: Sendable, Hashable {
    public var rules: [FaultRule]

    public init(rules: [FaultRule] = []) { self.rules = rules }

    /// Reads a list of rules (`at` names it in errors).
    public init(rulesJSON value: Any?, at path: String) throws(FakeConfigurationError) {
        guard let list = value as? [Any] else {
            throw FakeConfigurationError("\(path): expected a list of rules, got \(ConfigObject.describe(value))")
        }
        var rules: [FaultRule] = []
        for (index, entry) in list.enumerated() { rules.append(try FaultRule(json: entry, at: "\(path)[\(index)]")) }
        self.init(rules: rules)
    }

    /// Reads `{"rules": [...]}` (the body of `PUT /fake/faults`).
    public init(json value: Any?) throws(FakeConfigurationError) {
        let object = try ConfigObject(value, at: "")
        try object.refuseUnknown(allowed: ["rules"])
        guard object.has("rules") else {
            throw FakeConfigurationError("rules: required (a list of rules, [] for none)")
        }
        try self.init(rulesJSON: object.members["rules"], at: "rules")
    }

    /// The script with the state of its budgets: what it decides, request by request.
    struct Run: Sendable {
        let script: FaultScript
        /// Per rule: matching requests seen, faults injected.
        private(set) var matched: [Int]
        private(set) var injected: [Int]
        private var generators: [SplitMix64?]

        init(_ script: FaultScript) {
            self.script = script
            matched = Array(repeating: 0, count: script.rules.count)
            injected = Array(repeating: 0, count: script.rules.count)
            generators = script.rules.map { rule in
                if case .probability(_, let seed) = rule.budget { SplitMix64(seed: seed) } else { nil }
            }
        }

        /// The fault for the next request to `provider` for `model`, if any.
        mutating func decide(provider: FaultRule.Provider, model: String) -> FakeFault? {
            for (index, rule) in script.rules.enumerated() where rule.matches(provider: provider, model: model) {
                matched[index] += 1
                let fires: Bool
                switch rule.budget {
                case .always: fires = true
                case .count(let count): fires = injected[index] < count
                case .every(let every): fires = matched[index] % every == 0
                case .probability(let probability, _): fires = (generators[index]?.nextUnit() ?? 1) < probability
                }
                if fires {
                    injected[index] += 1
                    return rule.fault
                }
            }
            return nil
        }

        /// `{"rules": [rule + "matched", "injected", "remaining" for count budgets]}`.
        var json: [String: Any] {
            [
                "rules": script.rules.enumerated().map { index, rule -> [String: Any] in
                    var object = rule.json
                    object["matched"] = matched[index]
                    object["injected"] = injected[index]
                    if case .count(let count) = rule.budget { object["remaining"] = max(0, count - injected[index]) }
                    return object
                }
            ]
        }
    }
}
