public import AgentCore

/// One key a client presents to the gateway (`Authorization: Bearer <secret>`, or `x-api-key`).
///
/// The secret is never logged and never written to a topic: logs and signals name the key by
/// ``name``.
public struct GatewayKey: Sendable, Hashable, CustomStringConvertible {
    /// What logs and metrics call it (`key-1` for keys from the environment).
    public var name: String
    public var secret: String
    /// The models this key may use (as the client names them); `nil`: every model.
    public var allowedModels: Set<String>?
    /// Requests (and tokens) per window for this key across every gateway instance; `nil`: none.
    public var rateLimit: RateLimitPolicy?

    public init(name: String, secret: String, allowedModels: Set<String>? = nil, rateLimit: RateLimitPolicy? = nil) {
        self.name = name
        self.secret = secret
        self.allowedModels = allowedModels
        self.rateLimit = rateLimit
    }

    /// Whether this key may use `model`.
    public func allows(_ model: String) -> Bool {
        allowedModels.map { $0.contains(model) } ?? true
    }

    /// The name only: a key printed by accident shows no secret.
    public var description: String { "GatewayKey(\(name))" }
}
