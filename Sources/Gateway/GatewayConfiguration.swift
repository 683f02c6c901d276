import AgentCore
import Batch
public import Common
import Foundation
public import Kafka
public import Topics

/// Everything a gateway instance runs with, validated once (``validate()``) whichever way it was
/// given (options, the configuration file, the environment).
public struct GatewayConfiguration: Sendable {
    /// The environment variable with comma-separated keys (`key1,key2`), for the simple case.
    public static let keysVariable = "PROVIDER_AGENTS_GATEWAY_KEYS"

    public var kafka: KafkaConfiguration
    /// This instance's id: its reply topic is `<prefix>llm.replies.<id>` (one per instance).
    public var instanceID: String
    public var topicPrefix: String
    public var listenHost: String
    public var listenPort: Int
    /// Empty: no key is asked for, and the gateway listens on loopback only.
    public var keys: [GatewayKey]
    /// Request bodies above this are refused with 413.
    public var maxBodyBytes: Int
    /// How long a request may wait for its answer before a 504.
    public var requestTimeout: Duration
    public var connectTimeout: Duration
    /// How long its Kafka reader and producer wait to batch (docs/kafka.md): `interactive` for
    /// the lowest latency one request at a time, `balanced` (the default) otherwise.
    public var latency: LatencyProfile = .balanced
    /// A connection that sends nothing for this long outside a request — idle between requests,
    /// or stalled before its request's head is complete (a slow client) — is closed.
    public var idleTimeout: Duration = .seconds(60)
    /// Whether this instance also runs a batch runner (`--no-batch-runner` turns it off).
    public var runsBatches = true
    /// Seconds a batch job created here may run before it expires (`expires_at`): OpenAI's 24
    /// hours unless set. The API's `completion_window` stays `24h`, the only value the SDKs send.
    public var batchWindow = BatchJob.window

    public init(
        kafka: KafkaConfiguration, instanceID: String, topicPrefix: String = "", listenHost: String = "127.0.0.1",
        listenPort: Int = 8080, keys: [GatewayKey] = [], maxBodyBytes: Int = 4 << 20,
        requestTimeout: Duration = .seconds(600), connectTimeout: Duration = .seconds(10)
    ) {
        self.kafka = kafka
        self.instanceID = instanceID
        self.topicPrefix = topicPrefix
        self.listenHost = listenHost
        self.listenPort = listenPort
        self.keys = keys
        self.maxBodyBytes = maxBodyBytes
        self.requestTimeout = requestTimeout
        self.connectTimeout = connectTimeout
    }

    public var topics: TopicNames { TopicNames(prefix: topicPrefix) }

    /// Keys from `PROVIDER_AGENTS_GATEWAY_KEYS` (`key1,key2`; blanks around a key are dropped),
    /// named `key-1`, `key-2`, ... in order; each may use every model.
    public static func keys(fromEnvironment value: String?) throws(InvalidSetting) -> [GatewayKey] {
        guard let value else { return [] }
        let secrets = value.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        var keys: [GatewayKey] = []
        for (index, secret) in secrets.enumerated() {
            guard !secret.isEmpty else {
                throw InvalidSetting(
                    [.name(keysVariable)], "key \(index + 1) of \(secrets.count) is empty (expected key1,key2,...)")
            }
            keys.append(GatewayKey(name: "key-\(index + 1)", secret: secret))
        }
        return keys
    }

    /// Whether `host` is a loopback address or name.
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// Checks every rule; the first broken one is thrown, naming the setting.
    public func validate() throws(InvalidSetting) {
        guard (1...65_535).contains(listenPort) else {
            throw InvalidSetting(field: "listen", message: "port must be 1 to 65535, got \(listenPort)")
        }
        guard !listenHost.isEmpty else { throw InvalidSetting(field: "listen", message: "host must not be empty") }
        if keys.isEmpty, !Self.isLoopback(listenHost) {
            throw InvalidSetting(
                field: "listen",
                message:
                    """
                    no gateway key is configured, so the gateway serves loopback only and refuses to listen on \
                    \(listenHost): set \(Self.keysVariable) or gateway.keys in the configuration file
                    """
            )
        }
        var names = Set<String>()
        var secrets = Set<String>()
        for (index, key) in keys.enumerated() {
            guard !key.secret.isEmpty else {
                throw InvalidSetting([.name("keys"), .index(index)], "the key's secret is empty")
            }
            guard names.insert(key.name).inserted else {
                throw InvalidSetting([.name("keys"), .index(index)], "the name '\(key.name)' is used twice")
            }
            guard secrets.insert(key.secret).inserted else {
                throw InvalidSetting([.name("keys"), .index(index)], "the same secret is given twice")
            }
            do throws(InvalidSetting) {
                try key.rateLimit?.validate()
            } catch {
                throw error.nested(under: [.name("keys"), .index(index)])
            }
        }
        guard maxBodyBytes >= 1_024 else {
            throw InvalidSetting(field: "max_body_bytes", message: "must be at least 1024, got \(maxBodyBytes)")
        }
        guard idleTimeout > .zero else {
            throw InvalidSetting(field: "idle_timeout", message: "must be positive")
        }
        guard requestTimeout > .zero else {
            throw InvalidSetting(field: "request_timeout", message: "must be positive")
        }
        guard batchWindow >= 1 else {
            throw InvalidSetting(field: "batch_window", message: "must be at least 1 second, got \(batchWindow)")
        }
        try TopicNames.validate(prefix: topicPrefix)
    }
}
