public import AgentCore
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
//     - { name: team-a, key_env: TEAM_A_GATEWAY_KEY, models: [gpt-4o-mini, claude-haiku-4-5],
//         rate_limit: { requests_per_minute: 600, tokens_per_minute: 200000 } }
//     - { name: batch, key_env: BATCH_GATEWAY_KEY }
//   max_body_bytes: 4194304
//   request_timeout_ms: 600000
//   idle_timeout_ms: 60000
//   latency_profile: balanced
//   batch_window_s: 86400
//   metrics_listen: 127.0.0.1:9464
// ```
extension AgentConfigurationFile {
    /// The `gateway:` section (absent keys are `nil`: their defaults apply).
    public struct GatewaySection: Sendable, Hashable {
        public var listen: String?
        public var instanceID: String?
        /// The keys as the file gives them; their secrets are read from the environment by the
        /// gateway alone (``resolvedKeys(environment:)``: agents and routers sharing the file
        /// need not have them).
        public var keys: [KeyEntry]?
        public var maxBodyBytes: Int?
        public var requestTimeout: Duration?
        public var idleTimeout: Duration?
        public var latencyProfile: LatencyProfile?
        /// Seconds a batch job created here may run before it expires.
        public var batchWindow: Int?
        /// `metrics_listen`: where `/metrics`, `/health` and `/ready` are served (host:port).
        public var metricsListen: String?

        public init() {}
    }

    /// One key of the `gateway:` section, its secret not read yet.
    public struct KeyEntry: Sendable, Hashable {
        public var name: String
        /// The environment variable holding the secret (`key_env`), or the secret itself (`key`).
        public var secretVariable: String?
        public var secret: String?
        public var models: Set<String>?
        public var rateLimit: RateLimitPolicy?
        /// Where the file sets it (`gateway.keys[0]`), for errors.
        public var path: String

        /// The key with its secret.
        func resolved(environment: [String: String], file: String) throws(AgentConfigurationError) -> GatewayKey {
            let value = secret ?? secretVariable.flatMap { environment[$0] }
            guard let value, !value.isEmpty else {
                throw AgentConfigurationError(
                    file: file, key: "\(path).key_env",
                    message: "the environment variable \(secretVariable ?? "") (the secret of key '\(name)') is not set"
                )
            }
            return GatewayKey(name: name, secret: value, allowedModels: models, rateLimit: rateLimit)
        }
    }

    enum GatewayKeys {
        static let gateway = [
            "listen", "instance_id", "keys", "max_body_bytes", "request_timeout_ms", "idle_timeout_ms",
            "latency_profile", "batch_window_s", "metrics_listen",
        ]
        static let key = ["name", "key_env", "key", "models", "rate_limit"]
        static let rateLimit = ["requests_per_minute", "tokens_per_minute"]
    }

    /// Reads the `gateway:` section's types (a key's secret is read when the gateway starts).
    static func parseGateway(_ node: ConfigNode) throws(AgentConfigurationError) -> GatewaySection {
        let fields = try node.fields(GatewayKeys.gateway)
        var section = GatewaySection()
        section.listen = try fields["listen"]?.string()
        section.instanceID = try fields["instance_id"]?.string()
        if let value = fields["keys"] {
            var keys: [KeyEntry] = []
            for (index, entry) in try value.list().enumerated() {
                let key = try entry.fields(GatewayKeys.key)
                let name = try key["name"]?.string() ?? "key-\(index + 1)"
                var parsed = KeyEntry(name: name, path: "gateway.keys[\(index)]")
                switch (key["key_env"], key["key"]) {
                case (let variable?, nil): parsed.secretVariable = try variable.string()
                case (nil, let literal?): parsed.secret = try literal.string()
                default:
                    throw entry.source.error(
                        at: entry.path, line: nil, "key '\(name)': give its secret as key_env (or key), one of them")
                }
                if let list = key["models"] { parsed.models = Set(try list.strings()) }
                if let node = key["rate_limit"] {
                    let budget = try node.fields(GatewayKeys.rateLimit)
                    parsed.rateLimit = RateLimitPolicy(
                        strategy: .slidingWindow, requestsPerWindow: try budget["requests_per_minute"]?.int(),
                        tokensPerWindow: try budget["tokens_per_minute"]?.int(), window: .seconds(60))
                }
                keys.append(parsed)
            }
            section.keys = keys
        }
        section.maxBodyBytes = try fields["max_body_bytes"]?.int()
        if let value = try fields["request_timeout_ms"]?.int() { section.requestTimeout = .milliseconds(value) }
        if let value = try fields["idle_timeout_ms"]?.int() { section.idleTimeout = .milliseconds(value) }
        section.batchWindow = try fields["batch_window_s"]?.int()
        section.metricsListen = try fields["metrics_listen"]?.checked { text throws(InvalidSetting) in
            _ = try GatewayCommand.address(text)
            return text
        }
        section.latencyProfile = try fields["latency_profile"]?.checked { name throws(InvalidSetting) in
            try LatencyProfile(named: name)
        }
        return section
    }
}
