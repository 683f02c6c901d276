/// Settings shared by every Kafka client this project creates.
///
/// The typed fields cover what the project relies on; ``properties`` passes any other
/// librdkafka property through unchanged (TLS, SASL, tuning, ...). A passthrough entry wins
/// over the typed field it overlaps, so an operator can always override a default.
public struct KafkaConfiguration: Sendable, Hashable {
    /// Comma-separated `host:port` list (`bootstrap.servers`).
    public var bootstrapServers: String
    /// `client.id`, visible in broker logs and metrics. Default `provider-agents`.
    public var clientID: String
    /// Disable Nagle's algorithm (`socket.nagle.disable`). Default `true`: small request/response
    /// messages must not wait for an ACK before leaving the host.
    public var disableNagle: Bool
    /// How long a client keeps trying a broker that does not answer before reporting it
    /// (`socket.connection.setup.timeout.ms`). Default 10 s.
    public var connectionSetupTimeout: Duration
    /// Any librdkafka property (see librdkafka's CONFIGURATION.md). Applied last.
    public var properties: [String: String]

    public init(
        bootstrapServers: String,
        clientID: String = "provider-agents",
        disableNagle: Bool = true,
        connectionSetupTimeout: Duration = .seconds(10),
        properties: [String: String] = [:]
    ) {
        self.bootstrapServers = bootstrapServers
        self.clientID = clientID
        self.disableNagle = disableNagle
        self.connectionSetupTimeout = connectionSetupTimeout
        self.properties = properties
    }

    /// librdkafka properties for these settings.
    func rdKafkaProperties() -> [String: String] {
        [
            "bootstrap.servers": bootstrapServers,
            "client.id": clientID,
            "socket.nagle.disable": String(disableNagle),
            "socket.connection.setup.timeout.ms": String(connectionSetupTimeout.milliseconds),
        ]
    }
}

extension Duration {
    /// Whole milliseconds, rounded down; what librdkafka's `*.ms` properties take.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}

extension Dictionary where Key == String, Value == String {
    /// `self` with `overrides` applied on top.
    func overlaid(with overrides: [String: String]) -> [String: String] {
        merging(overrides) { _, new in new }
    }
}
