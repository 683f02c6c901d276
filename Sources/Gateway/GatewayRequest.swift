public import Signals

/// A request as the gateway hands it on, whichever API shape it came in (OpenAI's chat
/// completions, Anthropic's messages): the `provider_request`, where it goes, and how to answer.
public struct GatewayRequest: Sendable, Hashable {
    /// Where the request goes.
    public enum Target: Sendable, Hashable {
        /// The router picks the provider (and falls back).
        case router
        /// `provider/model`: straight to this provider's agents, no fallback.
        case provider(String)
    }

    /// The model as the client named it (echoed in answers).
    public var model: String
    public var target: Target
    public var stream: Bool
    /// OpenAI's `stream_options.include_usage`: a last chunk with the usage.
    public var includeUsage: Bool
    public var request: ProviderRequest

    public init(model: String, target: Target, stream: Bool, includeUsage: Bool, request: ProviderRequest) {
        self.model = model
        self.target = target
        self.stream = stream
        self.includeUsage = includeUsage
        self.request = request
    }

    /// The request for `model` (as the client named it) and its parts, addressed by the name:
    /// `provider/model` straight to the provider with the plain model name, else to the router.
    static func make(
        model: String, requestID: String, messages: [ChatMessage], sampling: Sampling, tools: [ToolDefinition]?,
        toolChoice: JSONValue?, stream: Bool, includeUsage: Bool, metadata: [String: JSONValue]?
    ) -> GatewayRequest {
        let (target, providerModel) = target(of: model)
        var provider: String?
        if case .provider(let name) = target { provider = name }
        let request = ProviderRequest(
            requestID: requestID, messages: messages, model: providerModel, temperature: sampling.temperature,
            maxTokens: sampling.maxTokens, topP: sampling.topP, stop: sampling.stop, tools: tools,
            toolChoice: toolChoice, stream: stream ? true : nil, provider: provider, metadata: metadata)
        return GatewayRequest(
            model: model, target: target, stream: stream, includeUsage: includeUsage, request: request)
    }

    /// How the answer is drawn and how long it may be.
    struct Sampling {
        var temperature: Double?
        var topP: Double?
        var maxTokens: Int?
        var stop: [String]?
    }

    /// Where a model name sends a request: `provider/model` straight to the provider (with the
    /// plain model name, `nil` when nothing follows the slash), anything else to the router.
    static func target(of model: String) -> (target: Target, providerModel: String?) {
        guard let slash = model.firstIndex(of: "/"), model.first != "/" else { return (.router, model) }
        let rest = String(model[model.index(after: slash)...])
        return (.provider(String(model[..<slash])), rest.isEmpty ? nil : rest)
    }
}
