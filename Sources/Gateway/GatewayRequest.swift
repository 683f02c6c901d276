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

    /// Where a model name sends a request: `provider/model` straight to the provider (with the
    /// plain model name, `nil` when nothing follows the slash), anything else to the router.
    static func target(of model: String) -> (target: Target, providerModel: String?) {
        guard let slash = model.firstIndex(of: "/"), model.first != "/" else { return (.router, model) }
        let rest = String(model[model.index(after: slash)...])
        return (.provider(String(model[..<slash])), rest.isEmpty ? nil : rest)
    }
}
