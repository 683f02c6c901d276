/// The command-line settings every long-running process (`agent`, `router`) shares: bootstrap
/// servers, topic prefix, instance id and `-X key=value` librdkafka properties, read once for
/// both commands. What the values may be is checked with the rest of the settings
/// (``AgentSettings/resolve(provider:file:overrides:environment:defaultInstanceID:)``), by the
/// same rules as the file's.
struct ConnectionOverrides {
    var bootstrap: String?
    var topicPrefix: String?
    var instanceID: String?
    var kafkaProperties: [String: String] = [:]

    /// Reads the options as given (`nil`: not given); a malformed `-X` is an error naming it.
    init(bootstrap: String?, topicPrefix: String?, instanceID: String?, properties: [String])
        throws(AgentConfigurationError)
    {
        self.bootstrap = bootstrap
        self.topicPrefix = topicPrefix
        self.instanceID = instanceID
        for entry in properties {
            guard let equals = entry.firstIndex(of: "="), equals != entry.startIndex else {
                throw .option("-X", "expects key=value, got '\(entry)'")
            }
            kafkaProperties[String(entry[..<equals])] = String(entry[entry.index(after: equals)...])
        }
    }
}
