public import Common
public import Signals

/// How the router orders the providers left after filtering.
public enum RoutingStrategy: String, Sendable, Hashable, Codable, CaseIterable {
    /// Fewest requests in flight per routable instance (the default).
    case leastLoaded = "least_loaded"
    /// Lowest p90 latency for the model (providers without a figure last).
    case lowestLatency = "lowest_latency"
    /// Lowest estimated cost of the request from the provider's price table (unpriced last).
    case lowestCost = "lowest_cost"
    /// Random by configured weight (weighted sampling without replacement; weight 0 = last resort).
    case weighted
    /// In the order listed: the model map's entry order, else by provider name (a fixed
    /// preference chain: the first listed unless it is down).
    case priority
}

/// What a provider can do, from configuration (used where its statuses carry no `features`).
public struct ProviderCapabilities: Sendable, Hashable {
    public var vision: Bool
    public var tools: Bool
    public var streaming: Bool
    /// Largest prompt + completion tokens a request may need; `nil` = not limited here.
    public var maxContextTokens: Int?
    /// Models the provider serves, in addition to those its statuses report.
    public var models: [String]

    public init(
        vision: Bool = false, tools: Bool = false, streaming: Bool = false, maxContextTokens: Int? = nil,
        models: [String] = []
    ) {
        self.vision = vision
        self.tools = tools
        self.streaming = streaming
        self.maxContextTokens = maxContextTokens
        self.models = models
    }

    /// The features these capabilities grant.
    public var features: Set<ProviderFeature> {
        var set: Set<ProviderFeature> = [.chat]
        if vision { set.insert(.vision) }
        if tools { set.insert(.tools) }
        if streaming { set.insert(.streaming) }
        return set
    }
}

/// The router's policy configuration. Every member has a documented default.
public struct RoutingConfiguration: Sendable, Hashable {
    /// Ordering strategy (default `least_loaded`).
    public var strategy: RoutingStrategy
    /// Model name → providers that serve it (in preference order for the `priority` strategy). A key matches a model
    /// exactly,
    /// else the longest key that is a prefix of the model wins (as in `PriceTable`: `claude-`
    /// maps `claude-3-opus`). When a model matches, only these providers are considered (default
    /// empty). An entry `provider/model` asks that provider for another model, so one name can
    /// stand for a chain across providers: `chat: [openai/gpt-4o-mini, anthropic/claude-3-5-haiku-latest]`.
    public var modelProviders: [String: [String]]
    /// Capabilities per provider (default none: features then come from the statuses alone).
    public var capabilities: [String: ProviderCapabilities]
    /// Providers known from configuration without stated capabilities (their features come from
    /// their statuses, else they are not filtered), e.g. the `agents:` entries of the file (default none).
    public var knownProviders: Set<String> = []
    /// Models per provider from configuration, besides those its statuses report (default none).
    public var providerModels: [String: [String]] = [:]
    /// Prices per provider for `lowest_cost` (default none).
    public var prices: [String: PriceTable]
    /// Weights per provider for `weighted`; absent providers weigh `defaultWeight`.
    public var weights: [String: Double]
    /// Weight of providers without an entry in `weights` (default 1).
    public var defaultWeight: Double
    /// Completion tokens assumed by `lowest_cost` when the request has no `max_tokens` (default 256).
    public var assumedCompletionTokens: Int

    public init(
        strategy: RoutingStrategy = .leastLoaded, modelProviders: [String: [String]] = [:],
        capabilities: [String: ProviderCapabilities] = [:], prices: [String: PriceTable] = [:],
        weights: [String: Double] = [:], defaultWeight: Double = 1, assumedCompletionTokens: Int = 256
    ) {
        self.strategy = strategy
        self.modelProviders = modelProviders
        self.capabilities = capabilities
        self.prices = prices
        self.weights = weights
        self.defaultWeight = defaultWeight
        self.assumedCompletionTokens = assumedCompletionTokens
    }

    /// Providers the model map names for `model`: the exact entry, else the longest prefix entry.
    public func mappedProviders(for model: String) -> [String]? {
        mappedTargets(for: model)?.map(\.provider)
    }

    /// Targets the model map names for `model` (`provider` or `provider/model` entries).
    public func mappedTargets(for model: String) -> [RouteTarget]? {
        let entries: [String]?
        if let exact = modelProviders[model] {
            entries = exact
        } else {
            entries = modelProviders.filter { model.hasPrefix($0.key) }.max { $0.key.count < $1.key.count }?.value
        }
        return entries?.map(Self.target(_:))
    }

    /// `provider` → the request's model; `provider/model` → that model.
    static func target(_ entry: String) -> RouteTarget {
        guard let slash = entry.firstIndex(of: "/") else { return RouteTarget(provider: entry) }
        let model = String(entry[entry.index(after: slash)...])
        return RouteTarget(provider: String(entry[..<slash]), model: model.isEmpty ? nil : model)
    }
}

/// One provider in a `RoutePlan`, with the figures it was ordered by.
public struct RouteCandidate: Sendable, Hashable {
    public var provider: String
    /// The model to ask this provider for; `nil` = the request's own model.
    public var model: String?
    public var routableInstances: Int
    public var inFlight: Int
    /// In flight per routable instance: the statuses' figures plus the requests this router sent since (fading;
    /// `ProviderRegistry.recentForwards`).
    public var load: Double
    public var p90LatencyMs: Double?
    /// Estimated cost of this request in USD; `nil` when the model is unpriced for this provider.
    public var estimatedCostUSD: Double?
    /// Whether at least one instance is fully healthy (else all routable ones are degraded).
    public var healthy: Bool
}

/// The providers to try, in order: the first is chosen, the rest are fallbacks.
public struct RoutePlan: Sendable, Hashable {
    public var candidates: [RouteCandidate]
    public var strategy: RoutingStrategy
    /// Features the request needs.
    public var neededFeatures: Set<ProviderFeature>
    /// Estimated prompt + `max_tokens` tokens.
    public var estimatedTokens: Int

    public var chosen: RouteCandidate { candidates[0] }
    public var fallbacks: ArraySlice<RouteCandidate> { candidates.dropFirst() }
    public var providers: [String] { candidates.map(\.provider) }
    /// The candidates as route targets.
    public var targets: [RouteTarget] { candidates.map { RouteTarget(provider: $0.provider, model: $0.model) } }
}

/// Why a request cannot be routed; becomes one final `provider_error` at the client's reply-to.
public struct RoutingError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }
        /// The request names a provider nobody configured and no agent ever reported.
        public static let unknownProvider = Code(rawValue: "unknown_provider")
        /// No configured or reported provider serves the model.
        public static let unknownModel = Code(rawValue: "unknown_model")
        /// Providers serve the model, but none has every capability the request needs.
        public static let noCapableProvider = Code(rawValue: "no_capable_provider")
        /// Capable providers exist, but none has a routable instance now.
        public static let noLiveProvider = Code(rawValue: "no_live_provider")
    }

    public var code: Code
    /// Human-readable, names the provider / model / capability at fault.
    public var message: String
    /// `error_type` of the final `provider_error`.
    public var errorType: ProviderErrorType
    public var retryable: Bool
    public var retryAfterMs: Int?

    public init(code: Code, message: String, errorType: ProviderErrorType, retryable: Bool, retryAfterMs: Int? = nil) {
        self.code = code
        self.message = message
        self.errorType = errorType
        self.retryable = retryable
        self.retryAfterMs = retryAfterMs
    }

    public var description: String { "\(code): \(message)" }
}

/// Chooses providers for a request from the configuration and the registry. Pure: no I/O, time
/// and randomness are passed in.
public struct RoutingPolicy: Sendable {
    public var configuration: RoutingConfiguration

    public init(_ configuration: RoutingConfiguration = RoutingConfiguration()) {
        self.configuration = configuration
    }

    /// Features `request` needs: `vision` when a message has an image, `tools` when tools are
    /// given, `streaming` when `stream` is true; plus `extra` (e.g. from the signal type).
    public static func neededFeatures(of request: ProviderRequest, plus extra: Set<ProviderFeature> = []) -> Set<
        ProviderFeature
    > {
        var needed = extra
        if request.messages.contains(where: { $0.content.hasImages }) { needed.insert(.vision) }
        if !(request.tools ?? []).isEmpty { needed.insert(.tools) }
        if request.stream == true { needed.insert(.streaming) }
        return needed
    }

    /// Routes with the system random source (only `weighted` uses it).
    public func route(
        _ request: ProviderRequest, features: Set<ProviderFeature> = [], registry: ProviderRegistry,
        at now: ContinuousClock.Instant
    ) -> Result<RoutePlan, RoutingError> {
        var random = SystemRandomNumberGenerator()
        return route(request, features: features, registry: registry, at: now, using: &random)
    }

    /// Explicit provider → model map → every provider serving the model; then drops providers
    /// lacking a needed capability, then those without a routable instance; orders the rest by
    /// the strategy.
    public func route<R: RandomNumberGenerator>(
        _ request: ProviderRequest, features: Set<ProviderFeature> = [],
        registry: ProviderRegistry, at now: ContinuousClock.Instant,
        using random: inout R
    ) -> Result<RoutePlan, RoutingError> {
        let config = configuration
        let summaries = Dictionary(uniqueKeysWithValues: registry.providers(at: now).map { ($0.provider, $0) })
        let known = Set(summaries.keys).union(config.capabilities.keys).union(config.knownProviders)
        let model = request.model
        let modelText = model.map { "model '\($0)'" } ?? "the default model"

        func serves(_ provider: String, _ model: String) -> Bool {
            if summaries[provider]?.models.contains(model) == true { return true }
            if config.capabilities[provider]?.models.contains(model) == true { return true }
            if config.providerModels[provider]?.contains(model) == true { return true }
            return config.mappedProviders(for: model)?.contains(provider) == true
        }
        func knownModels(_ provider: String) -> Set<String> {
            (summaries[provider]?.models ?? []).union(config.capabilities[provider]?.models ?? []).union(
                config.providerModels[provider] ?? [])
        }

        // 1. Candidates.
        var candidates: [RouteTarget]
        if let explicit = request.provider {
            guard known.contains(explicit) else {
                let list = known.sorted().joined(separator: ", ")
                return .failure(
                    RoutingError(
                        code: .unknownProvider,
                        message: "unknown provider '\(explicit)' (known: \(list.isEmpty ? "none" : list))",
                        errorType: .invalidRequest, retryable: false))
            }
            if let model, !knownModels(explicit).isEmpty, !serves(explicit, model) {
                return .failure(
                    RoutingError(
                        code: .unknownModel,
                        message: "provider '\(explicit)' does not serve model '\(model)'",
                        errorType: .modelUnavailable, retryable: false))
            }
            candidates = [RouteTarget(provider: explicit)]
        } else if let model {
            if let mapped = config.mappedTargets(for: model) {
                candidates = mapped
            } else {
                candidates = known.filter { serves($0, model) }.sorted().map { RouteTarget(provider: $0) }
            }
            if candidates.isEmpty {
                return .failure(
                    RoutingError(
                        code: .unknownModel, message: "no provider serves model '\(model)'",
                        errorType: .modelUnavailable, retryable: false))
            }
        } else {
            candidates = known.sorted().map { RouteTarget(provider: $0) }
            if candidates.isEmpty {
                return .failure(
                    RoutingError(
                        code: .noLiveProvider, message: "no provider is known yet",
                        errorType: .modelUnavailable, retryable: true))
            }
        }

        // 2. Capabilities.
        let needed = Self.neededFeatures(of: request, plus: features)
        let tokens = request.estimatedTokens(defaultMaxTokens: 0)
        var lacking: [String] = []
        var contextTooSmall = false
        candidates = candidates.filter { target in
            let provider = target.provider
            var missing: [String] = []
            let capabilities = config.capabilities[provider]
            // Features: from the statuses when they carry any, else configuration, else unknown
            // (not filtered: the agent itself answers `unsupported`).
            if let have = summaries[provider]?.features ?? capabilities?.features {
                missing = Self.describe(needed.subtracting(have))
            }
            if let max = capabilities?.maxContextTokens, tokens > max {
                missing.append("context of \(tokens) tokens (max \(max))")
                contextTooSmall = true
            }
            if missing.isEmpty { return true }
            lacking.append("\(provider) lacks \(Self.list(missing))")
            return false
        }
        if candidates.isEmpty {
            var wanted = Self.describe(needed)
            if contextTooSmall {
                wanted.append("\(tokens) tokens of context")
            }
            let with = wanted.isEmpty ? "" : " with \(Self.list(wanted))"
            return .failure(
                RoutingError(
                    code: .noCapableProvider,
                    message: "no provider serves \(modelText)\(with); \(lacking.joined(separator: "; "))",
                    errorType: .unsupported, retryable: false))
        }

        // 3. Liveness.
        var down: [String] = []
        var breakersOnly = true
        var retryAfter: Int?
        let live = candidates.compactMap { target -> RouteCandidate? in
            let provider = target.provider
            let model = target.model ?? model
            guard let summary = summaries[provider], !summary.instances.isEmpty else {
                breakersOnly = false
                down.append("\(provider) has no instance")
                return nil
            }
            guard summary.routableInstances > 0 else {
                let counts = Dictionary(grouping: summary.instances, by: \.health).mapValues(\.count)
                let detail = InstanceHealth.allCases.compactMap { h in counts[h].map { "\($0) \(h.rawValue)" } }
                down.append("\(provider) has no routable instance (\(detail.joined(separator: ", ")))")
                if counts[.breakerOpen] == nil || summary.liveInstances != counts[.breakerOpen] { breakersOnly = false }
                if let r = summary.breakerRetryAfterMs { retryAfter = min(retryAfter ?? r, r) }
                return nil
            }
            let routable = summary.instances.filter { $0.health.isRoutable }
            let inFlight = routable.reduce(0) { $0 + $1.inFlight }
            var cost: Double?
            if let model, let table = config.prices[provider], table.price(for: model) != nil {
                cost = table.cost(
                    model: model, promptTokens: tokens - (request.maxTokens ?? 0),
                    completionTokens: request.maxTokens ?? config.assumedCompletionTokens)
            }
            // Load: what the statuses report plus what this router sent since (fading).
            let load = (Double(inFlight) + registry.recentForwards(to: provider, at: now)) / Double(routable.count)
            return RouteCandidate(
                provider: provider, model: target.model, routableInstances: routable.count, inFlight: inFlight,
                load: load,
                p90LatencyMs: summary.p90LatencyMs(model: model), estimatedCostUSD: cost,
                healthy: summary.hasHealthyInstance)
        }
        if live.isEmpty {
            return .failure(
                RoutingError(
                    code: .noLiveProvider,
                    message: "no live provider for \(modelText): \(down.joined(separator: "; "))",
                    errorType: breakersOnly ? .circuitOpen : .modelUnavailable, retryable: true,
                    retryAfterMs: breakersOnly ? retryAfter : nil))
        }

        // 4. Order.
        let ordered = order(live, using: &random)
        return .success(
            RoutePlan(
                candidates: ordered, strategy: config.strategy, neededFeatures: needed,
                estimatedTokens: tokens))
    }

    /// Healthy providers before only-degraded ones; within each group by the strategy; ties by
    /// load, then p90 latency, then name.
    func order<R: RandomNumberGenerator>(_ candidates: [RouteCandidate], using random: inout R) -> [RouteCandidate] {
        let healthy = candidates.filter(\.healthy)
        let degraded = candidates.filter { !$0.healthy }
        return orderGroup(healthy, using: &random) + orderGroup(degraded, using: &random)
    }

    private func orderGroup<R: RandomNumberGenerator>(_ group: [RouteCandidate], using random: inout R)
        -> [RouteCandidate]
    {
        // Unknown figures sort after known ones.
        func key(_ value: Double?) -> Double { value ?? .infinity }
        let byTies = group.sorted { a, b in
            (a.load, key(a.p90LatencyMs), a.provider) < (b.load, key(b.p90LatencyMs), b.provider)
        }
        switch configuration.strategy {
        case .priority:
            return group
        case .leastLoaded:
            return byTies
        case .lowestLatency:
            return byTies.enumerated().sorted { a, b in
                (key(a.element.p90LatencyMs), a.offset) < (key(b.element.p90LatencyMs), b.offset)
            }.map(\.element)
        case .lowestCost:
            return byTies.enumerated().sorted { a, b in
                (key(a.element.estimatedCostUSD), a.offset) < (key(b.element.estimatedCostUSD), b.offset)
            }.map(\.element)
        case .weighted:
            // Weighted sampling without replacement over the name-sorted group.
            var pool = group.sorted { $0.provider < $1.provider }
            var result: [RouteCandidate] = []
            while !pool.isEmpty {
                let weights = pool.map { max(0, configuration.weights[$0.provider] ?? configuration.defaultWeight) }
                let total = weights.reduce(0, +)
                guard total > 0 else {
                    result += pool.sorted { a, b in
                        (a.load, key(a.p90LatencyMs), a.provider) < (b.load, key(b.p90LatencyMs), b.provider)
                    }
                    break
                }
                var pick = Double.random(in: 0..<total, using: &random)
                var index = weights.count - 1
                for (i, w) in weights.enumerated() {
                    if pick < w {
                        index = i
                        break
                    }
                    pick -= w
                }
                result.append(pool.remove(at: index))
            }
            return result
        }
    }

    /// Feature names in a fixed order (vision, tools, streaming, then others by name).
    static func describe(_ features: Set<ProviderFeature>) -> [String] {
        let fixed: [ProviderFeature] = [.vision, .tools, .streaming]
        return fixed.filter(features.contains).map(\.rawValue)
            + features.subtracting(fixed).map(\.rawValue).sorted()
    }

    /// "a", "a and b", "a, b and c".
    static func list(_ items: [String]) -> String {
        guard items.count > 1 else { return items.first ?? "" }
        return items.dropLast().joined(separator: ", ") + " and " + items.last!
    }
}
