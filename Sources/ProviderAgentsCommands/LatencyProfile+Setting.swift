public import Common
public import Kafka

extension LatencyProfile {
    /// The profile named `name` (`latency_profile` in the configuration file); the error lists
    /// the names.
    public init(named name: String) throws(InvalidSetting) {
        guard let profile = Self.named(name) else {
            let known = Self.all.map(\.name).joined(separator: ", ")
            throw InvalidSetting(["latency_profile"], "unknown latency profile '\(name)' (available: \(known))")
        }
        self = profile
    }
}
