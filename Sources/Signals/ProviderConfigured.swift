/// `provider_configured`: the answer of one agent instance to a `configure_provider` that carried a
/// `request_id` (every instance answers, so expect one per instance).
public struct ProviderConfigured: Sendable, Hashable, Codable {
    public var provider: String
    /// Agent instance that applied it.
    public var instance: String?
    /// Wire names of the sections applied (`rate_limit`, `circuit_breaker`, ...), sorted.
    public var applied: [String]
    /// How many control signals this instance has applied since it started (its configuration
    /// version; also `provider_status.config_version`).
    public var version: Int
    /// Set when the signal could not be applied (`applied` then names what was applied anyway).
    public var error: String?
    public var requestID: String?

    public init(
        provider: String, applied: [String], version: Int, instance: String? = nil, error: String? = nil,
        requestID: String? = nil
    ) {
        self.provider = provider
        self.applied = applied
        self.version = version
        self.instance = instance
        self.error = error
        self.requestID = requestID
    }

    enum CodingKeys: String, CodingKey {
        case provider, instance, applied, version, error
        case requestID = "request_id"
    }
}
