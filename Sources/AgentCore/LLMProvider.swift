public import Signals

/// What a provider adapter implements: the agent runtime calls these, the adapter speaks the
/// provider's HTTP API (OpenAI, Anthropic, Ollama / llama.cpp) or, in tests, nothing at all.
public protocol LLMProvider: Sendable {
    /// The provider's name as used in topics and signals (`openai`, `anthropic`, `local`).
    var name: String { get }
    /// What this provider can do, for `feature_check` and routing.
    var supportedFeatures: Set<ProviderFeature> { get }

    /// The models the provider serves now.
    func models() async throws(ProviderCallError) -> [ModelInfo]

    /// One completion.
    func complete(_ request: ProviderRequest) async throws(ProviderCallError) -> Completion

    /// A streamed completion: text deltas in order, then the final completion (with usage).
    func stream(_ request: ProviderRequest) -> AsyncThrowingStream<StreamEvent, any Error>

    /// Whether the provider answers at all (for status).
    func health() async -> ProviderHealth

    /// What the upstream said about its rate limits for `model` on its latest answer (`nil`:
    /// nothing known). The agent feeds it to admission after every call.
    func upstreamRateLimit(model: String) -> UpstreamRateLimit?
}

extension LLMProvider {
    public func upstreamRateLimit(model: String) -> UpstreamRateLimit? { nil }
}

/// A model a provider serves.
public struct ModelInfo: Sendable, Hashable, Codable {
    public var id: String
    /// Maximum prompt + completion tokens.
    public var contextWindow: Int
    public var features: Set<ProviderFeature>

    public init(id: String, contextWindow: Int, features: Set<ProviderFeature> = [.chat]) {
        self.id = id
        self.contextWindow = contextWindow
        self.features = features
    }
}

/// A finished completion.
public struct Completion: Sendable, Hashable {
    public var model: String
    public var content: String
    public var toolCalls: [ToolCall]?
    public var finishReason: String
    public var usage: TokenUsage
    /// Time the upstream spent generating the completion tokens, when it reports it (Ollama's
    /// `eval_duration`): tokens per second are measured on it instead of the whole call.
    public var generationTime: Duration? = nil

    public init(
        model: String, content: String, toolCalls: [ToolCall]? = nil, finishReason: String = "stop", usage: TokenUsage
    ) {
        self.model = model
        self.content = content
        self.toolCalls = toolCalls
        self.finishReason = finishReason
        self.usage = usage
    }
}

/// One element of a streamed completion.
public enum StreamEvent: Sendable, Hashable {
    case delta(String)
    case finished(Completion)
}

public enum ProviderHealth: String, Sendable, Hashable, Codable {
    case healthy, degraded, unavailable
}

/// A failed provider call, already classified: the `error_type` the client sees, whether a retry
/// can help, when, and how the circuit breaker should count it.
public struct ProviderCallError: Error, Sendable, Hashable, CustomStringConvertible {
    public var type: ProviderErrorType
    public var message: String
    public var retryable: Bool
    public var retryAfter: Duration?
    /// How the breaker sees this failure (`nil`: not a provider-health signal at all).
    public var breakerKind: CircuitBreakerPolicy.FailureKind?

    public init(
        type: ProviderErrorType, message: String, retryable: Bool,
        retryAfter: Duration? = nil, breakerKind: CircuitBreakerPolicy.FailureKind? = nil
    ) {
        self.type = type
        self.message = message
        self.retryable = retryable
        self.retryAfter = retryAfter
        self.breakerKind = breakerKind
    }

    public var description: String { "\(type): \(message)" }

    public static func serverError(_ message: String) -> ProviderCallError {
        ProviderCallError(type: .providerError, message: message, retryable: true, breakerKind: .upstreamServerError)
    }

    public static func timeout(_ message: String) -> ProviderCallError {
        ProviderCallError(type: .timeout, message: message, retryable: true, breakerKind: .timeout)
    }

    public static func rateLimited(_ message: String, retryAfter: Duration?) -> ProviderCallError {
        ProviderCallError(
            type: .rateLimited, message: message, retryable: true, retryAfter: retryAfter, breakerKind: .rateLimited)
    }

    public static func invalidRequest(_ message: String) -> ProviderCallError {
        ProviderCallError(type: .invalidRequest, message: message, retryable: false, breakerKind: .invalidRequest)
    }

    public static func modelUnavailable(_ model: String) -> ProviderCallError {
        ProviderCallError(type: .modelUnavailable, message: "model '\(model)' is not available", retryable: false)
    }
}
