import Common
import Foundation
public import Gateway
public import Kafka

// The `gateway:` section: the HTTP gateway's address, keys and limits.
//
// ```yaml
// gateway:
//   listen: 0.0.0.0:8080
//   keys:
//     - { name: team-a, key_env: TEAM_A_GATEWAY_KEY, models: [gpt-4o-mini, claude-haiku-4-5] }
//     - { name: batch, key_env: BATCH_GATEWAY_KEY }
//   max_body_bytes: 4194304
//   request_timeout_ms: 600000
//   idle_timeout_ms: 60000
//   latency_profile: balanced
// ```
extension AgentConfigurationFile {
    /// The `gateway:` section (absent keys are `nil`: their defaults apply).
    public struct GatewaySection: Sendable, Hashable {
        public var listen: String?
        public var instanceID: String?
        /// With their secrets read from the environment (`key_env`) or the file (`key`).
        public var keys: [GatewayKey]?
        public var maxBodyBytes: Int?
        public var requestTimeout: Duration?
        public var idleTimeout: Duration?
        public var latencyProfile: LatencyProfile?

        public init() {}
    }

    enum GatewayKeys {
        static let gateway = [
            "listen", "instance_id", "keys", "max_body_bytes", "request_timeout_ms", "idle_timeout_ms",
            "latency_profile",
        ]
        static let key = ["name", "key_env", "key", "models"]
    }

    /// Reads the `gateway:` section's types; a key's secret comes from the variable `key_env`
    /// names (or `key`, written in the file), and an error about a key never shows its secret.
    static func parseGateway(_ node: ConfigNode, environment: [String: String]) throws(AgentConfigurationError)
        -> GatewaySection
    {
        let fields = try node.fields(GatewayKeys.gateway)
        var section = GatewaySection()
        section.listen = try fields["listen"]?.string()
        section.instanceID = try fields["instance_id"]?.string()
        if let value = fields["keys"] {
            var keys: [GatewayKey] = []
            for entry in try value.list() {
                let key = try entry.fields(GatewayKeys.key)
                let name = try key["name"]?.string() ?? "key-\(keys.count + 1)"
                let secret: String
                switch (key["key_env"], key["key"]) {
                case (let variable?, nil):
                    let variableName = try variable.string()
                    guard let value = environment[variableName], !value.isEmpty else {
                        throw variable.source.error(
                            at: variable.path, line: nil,
                            "the environment variable \(variableName) (the secret of key '\(name)') is not set")
                    }
                    secret = value
                case (nil, let literal?):
                    secret = try literal.string()
                default:
                    throw entry.source.error(
                        at: entry.path, line: nil, "key '\(name)': give its secret as key_env (or key), one of them")
                }
                var models: Set<String>?
                if let list = key["models"] { models = Set(try list.strings()) }
                keys.append(GatewayKey(name: name, secret: secret, allowedModels: models))
            }
            section.keys = keys
        }
        section.maxBodyBytes = try fields["max_body_bytes"]?.int()
        if let value = try fields["request_timeout_ms"]?.int() { section.requestTimeout = .milliseconds(value) }
        if let value = try fields["idle_timeout_ms"]?.int() { section.idleTimeout = .milliseconds(value) }
        section.latencyProfile = try fields["latency_profile"]?.checked { name throws(InvalidSetting) in
            try LatencyProfile(named: name)
        }
        return section
    }
}
