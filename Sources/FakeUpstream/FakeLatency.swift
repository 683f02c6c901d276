/// The fake upstream's latency: a distribution and the seed of its draws. JSON / YAML form:
/// `{"distribution": "uniform:100ms..300ms", "seed": 7}` (`seed` defaults to 0), or just the
/// distribution's text.
public struct FakeLatency: Sendable, Hashable {
    public var distribution: LatencyDistribution
    public var seed: UInt64

    public init(_ distribution: LatencyDistribution = .zero, seed: UInt64 = 0) {
        self.distribution = distribution
        self.seed = seed
    }

    public static let zero = FakeLatency()

    /// Reads the JSON / YAML form (`at` names it in errors).
    public init(json value: Any?, at path: String) throws(FakeConfigurationError) {
        if let spec = value as? String {
            self.init(try Self.distribution(spec, at: path))
            return
        }
        if let milliseconds = ConfigObject.number(value), milliseconds >= 0, milliseconds.isFinite {
            self.init(.fixed(.microseconds(Int64((milliseconds * 1000).rounded()))))
            return
        }
        let object = try ConfigObject(value, at: path)
        try object.refuseUnknown(allowed: ["distribution", "seed"])
        guard let spec = try object.string("distribution") else {
            throw FakeConfigurationError("\(object.name("distribution")): required (\(LatencyDistribution.specHelp))")
        }
        self.init(
            try Self.distribution(spec, at: object.name("distribution")),
            seed: UInt64(try object.integer("seed", atLeast: 0) ?? 0))
    }

    private static func distribution(_ spec: String, at path: String) throws(FakeConfigurationError)
        -> LatencyDistribution
    {
        do {
            return try LatencyDistribution(spec: spec)
        } catch {
            throw FakeConfigurationError(path.isEmpty ? error.message : "\(path): \(error.message)")
        }
    }

    var json: [String: Any] { ["distribution": distribution.spec, "seed": seed] }
}
