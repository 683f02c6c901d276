public import Router

/// What the live provider registry says about models, for `GET /v1/models` and for refusing a
/// request early: a model nobody serves is a 404, a model whose providers are all down a 503.
/// A plain value over the registry's summaries (tested without a broker).
public struct ModelCatalog: Sendable, Hashable {
    /// One entry of the models list.
    public struct Entry: Sendable, Hashable {
        public var id: String
        public var ownedBy: String
    }

    /// Whether a request for a model can be sent now.
    public enum Verdict: Sendable, Hashable {
        case serve
        /// No provider reports it (nor, for `provider/model`, is there such a provider).
        case unknown(String)
        /// Known, but no instance may take requests now (breaker open, down, stale).
        case unavailable(String, retryAfterMs: Int?)
    }

    public var providers: [ProviderSummary]

    public init(providers: [ProviderSummary]) {
        self.providers = providers
    }

    /// Every model a live provider reports, by its plain name (served through the router; owned
    /// by the first provider in name order) and as `provider/model` (straight to that provider),
    /// sorted by id.
    public var entries: [Entry] {
        var plain: [String: String] = [:]
        var direct: [Entry] = []
        for provider in providers where provider.liveInstances > 0 {
            for model in provider.models.sorted() {
                if plain[model] == nil { plain[model] = provider.provider }
                direct.append(Entry(id: "\(provider.provider)/\(model)", ownedBy: provider.provider))
            }
        }
        return (plain.map { Entry(id: $0.key, ownedBy: $0.value) } + direct).sorted { $0.id < $1.id }
    }

    /// Whether `model` (as the client named it, to `target`) can be served now. Until any provider
    /// has reported, and for providers that report no model list (they take any model), the
    /// request is sent and the provider decides.
    public func verdict(model: String, target: GatewayRequest.Target) -> Verdict {
        switch target {
        case .provider(let name):
            guard let provider = providers.first(where: { $0.provider == name }) else {
                return providers.isEmpty ? .serve : .unknown("no provider named '\(name)' is known to the gateway")
            }
            let plain = String(model.dropFirst(name.count + 1))
            let models = provider.models
            if !plain.isEmpty, !models.isEmpty, !models.contains(plain) {
                return .unknown("provider '\(name)' does not serve the model '\(plain)'")
            }
            guard provider.routableInstances > 0 else {
                return .unavailable(
                    "provider '\(name)' has no instance that can take requests now",
                    retryAfterMs: provider.breakerRetryAfterMs)
            }
            return .serve
        case .router:
            if providers.isEmpty || providers.contains(where: { $0.models.isEmpty }) { return .serve }
            let serving = providers.filter { $0.models.contains(model) }
            guard !serving.isEmpty else {
                return .unknown("The model `\(model)` does not exist or no provider serves it")
            }
            guard serving.contains(where: { $0.routableInstances > 0 }) else {
                return .unavailable(
                    "no provider serving `\(model)` can take requests now",
                    retryAfterMs: serving.compactMap(\.breakerRetryAfterMs).min())
            }
            return .serve
        }
    }
}
