/// How an agent, a router or a client reaches Kafka, by precedence: command-line option →
/// environment (`$KAFKA_BOOTSTRAP`, bootstrap only) → configuration file (`kafka:`) → default.
/// Every command that talks to a broker resolves its connection here.
struct ConnectionSettings: Sendable, Hashable {
    static let bootstrapVariable = "KAFKA_BOOTSTRAP"

    var bootstrap: String
    /// Whether ``bootstrap`` came from `$KAFKA_BOOTSTRAP` (errors then name the variable).
    var bootstrapFromEnvironment: Bool
    var topicPrefix: String
    /// The file's `kafka.properties` with the `-X` options over them.
    var properties: [String: String]

    /// `nil` options are not given; an empty `$KAFKA_BOOTSTRAP` is not set.
    init(
        bootstrap: String?, topicPrefix: String?, properties: [String: String],
        file: AgentConfigurationFile.KafkaSection?, environment: [String: String]
    ) {
        let fromEnvironment = environment[Self.bootstrapVariable].flatMap { $0.isEmpty ? nil : $0 }
        self.bootstrap = bootstrap ?? fromEnvironment ?? file?.bootstrap ?? AgentSettings.defaultBootstrap
        bootstrapFromEnvironment = bootstrap == nil && fromEnvironment != nil
        self.topicPrefix = topicPrefix ?? file?.topicPrefix ?? ""
        self.properties = (file?.properties ?? [:]).merging(properties) { _, option in option }
    }
}
