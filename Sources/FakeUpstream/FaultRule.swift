/// One rule of a ``FaultScript``: which requests it applies to (all, a provider, a model), the
/// fault it injects, and how often (its budget).
public struct FaultRule: Sendable, Hashable {
    /// The wire formats the fake serves, for selecting requests.
    public enum Provider: String, Sendable, Hashable, CaseIterable {
        case openai, anthropic, ollama
    }

    /// How many of the matching requests get the fault.
    public enum Budget: Sendable, Hashable {
        /// Every matching request.
        case always
        /// The next `n` matching requests, then none.
        case count(Int)
        /// Every `n`th matching request (the `n`th, `2n`th, …).
        case every(Int)
        /// Each matching request with this probability, drawn from a generator seeded with `seed`
        /// (the same requests in the same order get the same faults).
        case probability(Double, seed: UInt64)
    }

    public var fault: FakeFault
    /// `nil`: requests of every provider.
    public var provider: Provider?
    /// `nil`: every model.
    public var model: String?
    public var budget: Budget

    public init(fault: FakeFault, provider: Provider? = nil, model: String? = nil, budget: Budget = .always) {
        self.fault = fault
        self.provider = provider
        self.model = model
        self.budget = budget
    }

    func matches(provider: Provider, model: String) -> Bool {
        (self.provider == nil || self.provider == provider) && (self.model == nil || self.model == model)
    }

    // MARK: JSON / YAML

    static let members: Set<String> = ["fault", "provider", "model", "count", "every", "probability", "seed"]

    /// Reads `{"fault": "429", "provider": "openai", "model": "gpt-4o", "count": 2}` (at most one
    /// of `count`, `every`, `probability`; `seed` only with `probability`, default 0).
    init(json value: Any?, at path: String) throws(FakeConfigurationError) {
        let object = try ConfigObject(value, at: path)
        try object.refuseUnknown(allowed: Self.members)
        // YAML reads an unquoted `fault: 429` as a number.
        let code = ConfigObject.number(object.members["fault"]).map { String(Int($0)) }
        var given = code
        if given == nil { given = try object.string("fault") }
        guard let name = given else {
            throw FakeConfigurationError("\(object.name("fault")): required (one of \(FakeFault.names))")
        }
        guard let fault = FakeFault(rawValue: name) else {
            throw FakeConfigurationError(
                "\(object.name("fault")): unknown fault \"\(name)\" (expected one of \(FakeFault.names))")
        }
        var provider: Provider?
        if let name = try object.string("provider") {
            guard let known = Provider(rawValue: name) else {
                throw FakeConfigurationError(
                    """
                    \(object.name("provider")): unknown provider \"\(name)\" (expected one of openai, anthropic, \
                    ollama)
                    """
                )
            }
            provider = known
        }
        let model = try object.string("model")
        if model?.isEmpty == true {
            throw FakeConfigurationError("\(object.name("model")): must not be empty (leave it out for every model)")
        }
        let budgets = ["count", "every", "probability"].filter(object.has)
        guard budgets.count <= 1 else {
            throw FakeConfigurationError(
                "\(path): give at most one of count, every, probability (got \(budgets.joined(separator: " and ")))")
        }
        if object.has("seed"), budgets != ["probability"] {
            throw FakeConfigurationError("\(object.name("seed")): only meaningful with probability")
        }
        var budget = Budget.always
        if let count = try object.integer("count", atLeast: 1) { budget = .count(count) }
        if let every = try object.integer("every", atLeast: 1) { budget = .every(every) }
        if let probability = try object.double("probability", in: 0...1) {
            budget = .probability(probability, seed: UInt64(try object.integer("seed", atLeast: 0) ?? 0))
        }
        self.init(fault: fault, provider: provider, model: model, budget: budget)
    }

    /// The JSON form ``init(json:at:)`` reads.
    var json: [String: Any] {
        var object: [String: Any] = ["fault": fault.rawValue]
        if let provider { object["provider"] = provider.rawValue }
        if let model { object["model"] = model }
        switch budget {
        case .always: break
        case .count(let count): object["count"] = count
        case .every(let every): object["every"] = every
        case .probability(let probability, let seed):
            object["probability"] = probability
            object["seed"] = seed
        }
        return object
    }
}
