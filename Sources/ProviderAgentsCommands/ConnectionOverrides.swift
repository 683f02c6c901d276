/// The command-line settings every long-running process (`agent`, `router`) shares: bootstrap
/// servers, topic prefix, instance id and `-X key=value` librdkafka properties, checked once
/// for both commands.
struct ConnectionOverrides {
    var bootstrap: String?
    var topicPrefix: String?
    var instanceID: String?
    var kafkaProperties: [String: String] = [:]

    /// Checks the options as given (`nil`: not given); an error names the option.
    init(bootstrap: String?, topicPrefix: String?, instanceID: String?, properties: [String]) throws(AgentConfigurationError) {
        if let bootstrap {
            guard !bootstrap.trimmingCharacters(in: .whitespaces).isEmpty else { throw .option("--bootstrap", "must not be empty") }
            self.bootstrap = bootstrap
        }
        if let topicPrefix {
            if let problem = AgentSettings.topicPrefixProblem(topicPrefix) { throw .option("--topic-prefix", problem) }
            self.topicPrefix = topicPrefix
        }
        if let instanceID {
            if let problem = AgentSettings.instanceIDProblem(instanceID) { throw .option("--instance-id", problem) }
            self.instanceID = instanceID
        }
        for entry in properties {
            guard let equals = entry.firstIndex(of: "="), equals != entry.startIndex else {
                throw .option("-X", "expects key=value, got '\(entry)'")
            }
            kafkaProperties[String(entry[..<equals])] = String(entry[entry.index(after: equals)...])
        }
    }
}
