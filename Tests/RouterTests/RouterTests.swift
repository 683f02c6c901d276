import Common
import Router
import Signals
import Testing

private let t0 = ContinuousClock.now

private func status(
    _ provider: String, _ instance: String?, status health: String = "healthy", breaker: String = "closed",
    retryAfterMs: Int? = nil, inFlight: Int? = 0, models: [String]? = nil, features: [String]? = nil,
    p90: Double? = nil, total: Int = 100, modelP90: [String: (p90: Double, total: Int)] = [:]
) -> ProviderStatus {
    var metrics = ProviderStatus.Metrics(totalRequests: total, successRate: 1, inFlight: inFlight, p90LatencyMs: p90)
    metrics.p90LatencyMs = p90
    let perModel =
        modelP90.isEmpty
        ? nil
        : modelP90.mapValues {
            ProviderStatus.Metrics(totalRequests: $0.total, successRate: 1, p90LatencyMs: $0.p90)
        }
    return ProviderStatus(
        provider: provider, status: health,
        circuitBreaker: .init(state: breaker, failureCount: 0, retryAfterMs: retryAfterMs),
        rateLimiter: .init(limit: 100, windowMs: 60_000, currentCount: 0), metrics: metrics,
        instance: instance, models: models, features: features, modelMetrics: perModel)
}

private func request(
    model: String? = "m", provider: String? = nil, text: String = "hi", image: Bool = false,
    tools: Bool = false, stream: Bool? = nil, maxTokens: Int? = nil
) -> ProviderRequest {
    let content: MessageContent =
        image
        ? .parts([.text(text), .imageURL(url: "https://example.com/cat.png")]) : .text(text)
    let toolList = tools ? [ToolDefinition(function: FunctionDefinition(name: "f"))] : nil
    return ProviderRequest(
        requestID: "r1", messages: [ChatMessage(role: .user, content: content)], model: model,
        maxTokens: maxTokens, tools: toolList, stream: stream, provider: provider)
}

/// openai (2 instances), anthropic (1), local (1), all serving model "m", all features reported.
private func threeProviders() -> ProviderRegistry {
    var registry = ProviderRegistry()
    let all = ["chat", "vision", "tools", "streaming"]
    registry.apply(
        status("openai", "o1", inFlight: 4, models: ["m", "gpt-4o"], features: all, p90: 300), receivedAt: t0)
    registry.apply(status("openai", "o2", inFlight: 4, models: ["m"], features: all, p90: 300), receivedAt: t0)
    registry.apply(status("anthropic", "a1", inFlight: 2, models: ["m"], features: all, p90: 900), receivedAt: t0)
    registry.apply(status("local", "l1", inFlight: 9, models: ["m"], features: all, p90: 100), receivedAt: t0)
    return registry
}

private func plan(
    _ policy: RoutingPolicy, _ request: ProviderRequest, _ registry: ProviderRegistry,
    features: Set<ProviderFeature> = []
) throws -> RoutePlan {
    try policy.route(request, features: features, registry: registry, at: t0 + .seconds(1)).get()
}

private func failure(
    _ policy: RoutingPolicy, _ request: ProviderRequest, _ registry: ProviderRegistry,
    at now: ContinuousClock.Instant = t0 + .seconds(1)
) -> RoutingError? {
    if case .failure(let error) = policy.route(request, registry: registry, at: now) { return error }
    return nil
}

@Suite struct ProviderRegistryTests {
    @Test func firstStatusRegistersLaterOnesUpdate() {
        var registry = ProviderRegistry()
        #expect(registry.apply(status("openai", "o1"), receivedAt: t0) == .registered)
        #expect(registry.apply(status("openai", "o1", inFlight: 7), receivedAt: t0 + .seconds(5)) == .updated)
        #expect(registry.apply(status("openai", "o2"), receivedAt: t0 + .seconds(6)) == .registered)
        #expect(registry.apply(status("local", nil), receivedAt: t0) == .registered)
        let instances = registry.instances(of: "openai", at: t0 + .seconds(6))
        #expect(instances.map(\.instance) == ["o1", "o2"])
        #expect(instances[0].registeredAt == t0)
        #expect(instances[0].lastSeen == t0 + .seconds(5))
        #expect(instances[0].inFlight == 7)
        #expect(registry.instances(of: "local", at: t0).map(\.instance) == ["local"])
        #expect(registry.providerNames == ["local", "openai"])
    }

    @Test func staleAfterMissedIntervals() {
        var registry = ProviderRegistry()  // 3 × 5 s
        registry.apply(status("openai", "o1"), receivedAt: t0)
        #expect(registry.instances(of: "openai", at: t0 + .seconds(15))[0].health == .healthy)
        #expect(registry.instances(of: "openai", at: t0 + .milliseconds(15_001))[0].health == .stale)
        #expect(registry.provider("openai", at: t0 + .seconds(16))?.liveInstances == 0)
        // A new status revives it.
        registry.apply(status("openai", "o1"), receivedAt: t0 + .seconds(16))
        #expect(registry.instances(of: "openai", at: t0 + .seconds(17))[0].health == .healthy)

        var custom = ProviderRegistry(staleAfterMissedIntervals: 2, statusIntervals: ["local": .seconds(1)])
        custom.apply(status("local", "l1"), receivedAt: t0)
        custom.apply(status("openai", "o1"), receivedAt: t0)
        #expect(custom.instances(of: "local", at: t0 + .seconds(2))[0].health == .healthy)
        #expect(custom.instances(of: "local", at: t0 + .milliseconds(2_001))[0].health == .stale)
        #expect(custom.instances(of: "openai", at: t0 + .seconds(10))[0].health == .healthy)
        #expect(custom.instances(of: "openai", at: t0 + .milliseconds(10_001))[0].health == .stale)
    }

    @Test("an instance's own status_interval_ms wins over the configured interval")
    func reportedInterval() {
        var registry = ProviderRegistry(statusIntervals: ["openai": .seconds(10)])
        var fast = status("openai", "o1")
        fast.statusIntervalMs = 1_000
        registry.apply(fast, receivedAt: t0)
        registry.apply(status("openai", "o2"), receivedAt: t0)
        let at = t0 + .milliseconds(3_001)
        #expect(registry.instances(of: "openai", at: at).map(\.health) == [.stale, .healthy])
        #expect(registry.instances(of: "openai", at: at)[0].statusInterval == .seconds(1))
    }

    @Test func stoppedRemoves() {
        var registry = ProviderRegistry()
        registry.apply(status("openai", "o1"), receivedAt: t0)
        registry.apply(status("openai", "o2"), receivedAt: t0)
        #expect(registry.apply(status("openai", "o1", status: "stopped"), receivedAt: t0) == .removed)
        #expect(registry.instances(of: "openai", at: t0).map(\.instance) == ["o2"])
        #expect(registry.apply(status("openai", "o9", status: "stopped"), receivedAt: t0) == .ignored)
        registry.apply(status("openai", "o2", status: "stopped"), receivedAt: t0)
        #expect(registry.provider("openai", at: t0) == nil)
        #expect(registry.providers(at: t0).isEmpty)
    }

    @Test func forgetOldInstances() {
        var registry = ProviderRegistry()
        registry.apply(status("openai", "o1"), receivedAt: t0)
        registry.apply(status("openai", "o2"), receivedAt: t0 + .seconds(100))
        registry.apply(status("local", nil), receivedAt: t0)
        #expect(registry.forget(olderThan: .seconds(100), at: t0 + .seconds(100)).isEmpty)
        #expect(registry.forget(olderThan: .seconds(100), at: t0 + .seconds(101)) == ["local/local", "openai/o1"])
        #expect(registry.providerNames == ["openai"])
        #expect(registry.instances(of: "openai", at: t0 + .seconds(101)).map(\.instance) == ["o2"])
    }

    @Test func healthFromStatusAndBreaker() throws {
        var registry = ProviderRegistry()
        registry.apply(status("p", "a"), receivedAt: t0)
        registry.apply(status("p", "b", status: "degraded"), receivedAt: t0)
        registry.apply(status("p", "c", breaker: "open"), receivedAt: t0)
        registry.apply(status("p", "d", breaker: "half_open"), receivedAt: t0)
        registry.apply(status("p", "e", status: "unavailable"), receivedAt: t0)
        registry.apply(status("p", "f", status: "stopping"), receivedAt: t0)
        let health = registry.instances(of: "p", at: t0).map(\.health)
        #expect(health == [.healthy, .degraded, .breakerOpen, .degraded, .unavailable, .stopping])
        let summary = try #require(registry.provider("p", at: t0))
        #expect(summary.liveInstances == 5)
        #expect(summary.routableInstances == 3)
    }

    @Test func aggregation() throws {
        var registry = ProviderRegistry()
        registry.apply(
            status(
                "openai", "o1", breaker: "closed", inFlight: 3, models: ["gpt-4o", "gpt-4o-mini"],
                features: ["chat", "tools"], p90: 500, total: 100,
                modelP90: ["gpt-4o": (p90: 200, total: 30)]), receivedAt: t0)
        registry.apply(
            status(
                "openai", "o2", breaker: "open", retryAfterMs: 4_000, inFlight: 4, models: ["gpt-4o", "o1"],
                features: ["vision"], p90: 700, total: 300,
                modelP90: ["gpt-4o": (p90: 600, total: 10)]), receivedAt: t0)
        // Stale: counted in models, not in load, breakers or latency.
        registry.apply(status("openai", "o3", inFlight: 50, models: ["o3"], p90: 10_000), receivedAt: t0 - .seconds(60))
        let summary = try #require(registry.provider("openai", at: t0))
        #expect(summary.instances.count == 3)
        #expect(summary.liveInstances == 2)
        #expect(summary.inFlight == 7)
        #expect(summary.models == ["gpt-4o", "gpt-4o-mini", "o1", "o3"])
        #expect(summary.features == [.chat, .tools, .vision])
        #expect(summary.breakerStates == ["closed": 1, "open": 1])
        #expect(summary.breakerRetryAfterMs == 4_000)
        // Overall: (500×100 + 700×300) / 400 = 650; per model: (200×30 + 600×10) / 40 = 300.
        #expect(summary.p90LatencyMs() == 650)
        #expect(summary.p90LatencyMs(model: "gpt-4o") == 300)
        // A model without its own figure falls back to the overall figures.
        #expect(summary.p90LatencyMs(model: "o1") == 650)

        var bare = ProviderRegistry()
        bare.apply(status("local", "l1"), receivedAt: t0)
        #expect(bare.provider("local", at: t0)?.features == nil)
        #expect(bare.provider("local", at: t0)?.p90LatencyMs() == nil)
    }
}

@Suite struct RoutingStrategyTests {
    @Test func leastLoadedIsPerRoutableInstance() throws {
        // openai 8 in flight over 2 instances = 4, anthropic 2, local 9.
        let result = try plan(RoutingPolicy(), request(), threeProviders())
        #expect(result.providers == ["anthropic", "openai", "local"])
        #expect(result.chosen.provider == "anthropic")
        #expect(result.fallbacks.map(\.provider) == ["openai", "local"])
        #expect(result.candidates[1].load == 4)
        #expect(result.strategy == .leastLoaded)
    }

    @Test("least_loaded counts what this router sent since the last statuses, fading with the status interval")
    func leastLoadedCountsRecentForwards() throws {
        var registry = threeProviders()
        // anthropic leads with 2 in flight; 5 requests this router just sent to it make it 7.
        for _ in 0..<5 { registry.recordForward(to: "anthropic", at: t0) }
        #expect(abs(registry.recentForwards(to: "anthropic", at: t0) - 5) < 1e-9)
        let now = try RoutingPolicy().route(request(), registry: registry, at: t0).get()
        #expect(now.providers == ["openai", "anthropic", "local"], "openai 4 per instance, anthropic 2 + 5")
        #expect(now.candidates[1].inFlight == 2, "the status figure itself is unchanged")
        // One status interval (5 s) later they count e^-1; ten later nothing: anthropic leads again.
        #expect(abs(registry.recentForwards(to: "anthropic", at: t0 + .seconds(5)) - 5 * 0.36787944117) < 1e-6)
        let later = try RoutingPolicy().route(request(), registry: registry, at: t0 + .seconds(10)).get()
        #expect(later.chosen.provider == "anthropic", "2 + 5·e^-2 ≈ 2.7 < 4")
    }

    @Test func lowestLatency() throws {
        let policy = RoutingPolicy(RoutingConfiguration(strategy: .lowestLatency))
        #expect(try plan(policy, request(), threeProviders()).providers == ["local", "openai", "anthropic"])
    }

    @Test func lowestLatencyUsesPerModelFigures() throws {
        var registry = threeProviders()
        registry.apply(
            status(
                "anthropic", "a1", inFlight: 2, models: ["m"], features: ["chat"], p90: 900,
                modelP90: ["m": (p90: 50, total: 10)]), receivedAt: t0)
        let policy = RoutingPolicy(RoutingConfiguration(strategy: .lowestLatency))
        #expect(try plan(policy, request(), registry).providers == ["anthropic", "local", "openai"])
    }

    @Test func lowestCostUnpricedLast() throws {
        let policy = RoutingPolicy(
            RoutingConfiguration(
                strategy: .lowestCost,
                prices: [
                    "openai": PriceTable(["m": .init(inputPerMillion: 2.5, outputPerMillion: 10)]),
                    "anthropic": PriceTable(["m": .init(inputPerMillion: 3, outputPerMillion: 15)]),
                ]))
        let result = try plan(policy, request(maxTokens: 100), threeProviders())
        #expect(result.providers == ["openai", "anthropic", "local"])
        #expect(result.candidates[2].estimatedCostUSD == nil)
        // "hi" = 2 + 16 bytes → 5 prompt tokens; 5 × 2.5 + 100 × 10 per million.
        let expected: Double = (5 * 2.5 + 100 * 10) / 1_000_000
        #expect(result.candidates[0].estimatedCostUSD == expected)
    }

    @Test func tiesBrokenByLatencyThenName() throws {
        var registry = ProviderRegistry()
        registry.apply(status("b", "1", inFlight: 1, models: ["m"], p90: 100), receivedAt: t0)
        registry.apply(status("a", "1", inFlight: 1, models: ["m"], p90: 100), receivedAt: t0)
        registry.apply(status("c", "1", inFlight: 1, models: ["m"], p90: 50), receivedAt: t0)
        #expect(try plan(RoutingPolicy(), request(), registry).providers == ["c", "a", "b"])
    }

    @Test func degradedProvidersAfterHealthyOnes() throws {
        var registry = threeProviders()
        registry.apply(status("anthropic", "a1", status: "degraded", inFlight: 0, models: ["m"]), receivedAt: t0)
        #expect(try plan(RoutingPolicy(), request(), registry).providers == ["openai", "local", "anthropic"])
    }

    @Test func weightedIsDeterministicAndFollowsWeights() throws {
        let policy = RoutingPolicy(
            RoutingConfiguration(
                strategy: .weighted,
                weights: ["openai": 3, "anthropic": 1, "local": 0]))
        let registry = threeProviders()
        func sample(seed: UInt64, n: Int) -> [[String]] {
            var random = SplitMix64(seed: seed)
            return (0..<n).map { _ in
                (try? policy.route(request(), registry: registry, at: t0, using: &random).get().providers) ?? []
            }
        }
        let n = 10_000
        let runs = sample(seed: 42, n: n)
        #expect(runs == sample(seed: 42, n: n))
        #expect(runs != sample(seed: 43, n: n))
        // Weight 0 is a last resort; every plan holds all three providers.
        #expect(runs.allSatisfy { $0.count == 3 && $0.last == "local" })
        // openai first with p = 3/4: binomial mean 7500, σ = √(n·p·(1−p)) ≈ 43.3; allow ±5σ.
        let first = runs.filter { $0.first == "openai" }.count
        let p = 0.75
        let sigma = (Double(n) * p * (1 - p)).squareRoot()
        #expect(abs(Double(first) - Double(n) * p) <= 5 * sigma)
    }
}

@Suite struct RoutingSelectionTests {
    @Test func explicitProviderOnly() throws {
        let result = try plan(RoutingPolicy(), request(provider: "local"), threeProviders())
        #expect(result.providers == ["local"])
    }

    @Test func unknownProvider() {
        let error = failure(RoutingPolicy(), request(provider: "mistral"), threeProviders())
        #expect(error?.code == .unknownProvider)
        #expect(error?.message == "unknown provider 'mistral' (known: anthropic, local, openai)")
        #expect(error?.errorType == .invalidRequest)
        #expect(error?.retryable == false)
    }

    @Test func explicitProviderNotServingModel() {
        let error = failure(RoutingPolicy(), request(model: "gpt-4o", provider: "anthropic"), threeProviders())
        #expect(error?.code == .unknownModel)
        #expect(error?.message == "provider 'anthropic' does not serve model 'gpt-4o'")
        #expect(error?.errorType == .modelUnavailable)
    }

    @Test func unknownModel() {
        let error = failure(RoutingPolicy(), request(model: "nope"), threeProviders())
        #expect(error?.code == .unknownModel)
        #expect(error?.message == "no provider serves model 'nope'")
        #expect(error?.errorType == .modelUnavailable)
        #expect(error?.retryable == false)
    }

    @Test func servingProvidersOnly() throws {
        #expect(try plan(RoutingPolicy(), request(model: "gpt-4o"), threeProviders()).providers == ["openai"])
    }

    @Test func modelMapExactAndPrefix() throws {
        let policy = RoutingPolicy(
            RoutingConfiguration(modelProviders: [
                "claude-": ["anthropic"], "claude-3-haiku": ["local", "anthropic"], "m": ["local"],
            ]))
        let registry = threeProviders()
        #expect(try plan(policy, request(model: "claude-3-opus"), registry).providers == ["anthropic"])
        // The longer, exact entry wins over the prefix.
        #expect(try plan(policy, request(model: "claude-3-haiku"), registry).providers == ["anthropic", "local"])
        // A mapped model only goes to the mapped providers, even when others report it.
        #expect(try plan(policy, request(model: "m"), registry).providers == ["local"])
        #expect(policy.configuration.mappedProviders(for: "gpt-4o") == nil)
    }

    @Test func configuredModelsAndCapabilities() throws {
        // No statuses carry features or models for "local": configuration supplies them.
        var registry = ProviderRegistry()
        registry.apply(status("local", "l1"), receivedAt: t0)
        let policy = RoutingPolicy(
            RoutingConfiguration(capabilities: [
                "local": ProviderCapabilities(tools: true, models: ["llama3"])
            ]))
        #expect(try plan(policy, request(model: "llama3", tools: true), registry).providers == ["local"])
        let error = failure(policy, request(model: "llama3", image: true), registry)
        #expect(error?.message == "no provider serves model 'llama3' with vision; local lacks vision")
    }

    @Test func capabilityFilterMessage() throws {
        var registry = ProviderRegistry()
        registry.apply(status("openai", "o1", models: ["x"], features: ["chat", "tools", "streaming"]), receivedAt: t0)
        registry.apply(status("anthropic", "a1", models: ["x"], features: ["chat", "vision"]), receivedAt: t0)
        let policy = RoutingPolicy()
        let error = failure(policy, request(model: "x", image: true, tools: true), registry)
        #expect(error?.code == .noCapableProvider)
        #expect(
            error?.message
                == "no provider serves model 'x' with vision and tools; anthropic lacks tools; openai lacks vision")
        #expect(error?.errorType == .unsupported)
        #expect(error?.retryable == false)
        // Each need alone filters to the capable provider.
        #expect(try plan(policy, request(model: "x", image: true), registry).providers == ["anthropic"])
        #expect(try plan(policy, request(model: "x", tools: true), registry).providers == ["openai"])
        #expect(try plan(policy, request(model: "x", stream: true), registry).providers == ["openai"])
        #expect(try plan(policy, request(model: "x"), registry, features: [.streaming]).providers == ["openai"])
        let streamed = try plan(policy, request(model: "x", image: true), registry)
        #expect(streamed.neededFeatures == [.vision])
    }

    @Test func contextLength() throws {
        let registry = threeProviders()
        let policy = RoutingPolicy(
            RoutingConfiguration(capabilities: [
                "openai": ProviderCapabilities(vision: true, tools: true, streaming: true, maxContextTokens: 128_000),
                "anthropic": ProviderCapabilities(
                    vision: true, tools: true, streaming: true, maxContextTokens: 200_000),
                "local": ProviderCapabilities(maxContextTokens: 8_192),
            ]))
        // 2 + 16 bytes → 5 prompt tokens + 150,000 max_tokens.
        let big = request(maxTokens: 150_000)
        #expect(try plan(policy, big, registry).providers == ["anthropic"])
        #expect(try plan(policy, big, registry).estimatedTokens == 150_005)
        let error = failure(policy, request(maxTokens: 300_000), registry)
        #expect(error?.code == .noCapableProvider)
        #expect(
            error?.message == "no provider serves model 'm' with 300005 tokens of context; "
                + """
                anthropic lacks context of 300005 tokens (max 200000); local lacks context of 300005 tokens (max \
                8192); \

                """
                + "openai lacks context of 300005 tokens (max 128000)")
    }

    @Test func noLiveProviderWhenStale() {
        let registry = threeProviders()
        let error = failure(RoutingPolicy(), request(model: "gpt-4o"), registry, at: t0 + .seconds(60))
        #expect(error?.code == .noLiveProvider)
        #expect(error?.message == "no live provider for model 'gpt-4o': openai has no routable instance (2 stale)")
        #expect(error?.errorType == .modelUnavailable)
        #expect(error?.retryable == true)
        #expect(error?.retryAfterMs == nil)
    }

    @Test func noLiveProviderWhenConfiguredButNeverSeen() {
        let policy = RoutingPolicy(
            RoutingConfiguration(capabilities: ["openai": ProviderCapabilities(models: ["gpt-4o"])]))
        let error = failure(policy, request(model: "gpt-4o"), ProviderRegistry())
        #expect(error?.code == .noLiveProvider)
        #expect(error?.message == "no live provider for model 'gpt-4o': openai has no instance")
    }

    @Test func allBreakersOpenIsCircuitOpen() throws {
        var registry = threeProviders()
        registry.apply(status("openai", "o1", breaker: "open", retryAfterMs: 7_000, models: ["gpt-4o"]), receivedAt: t0)
        registry.apply(status("openai", "o2", breaker: "open", retryAfterMs: 3_000, models: ["gpt-4o"]), receivedAt: t0)
        let error = failure(RoutingPolicy(), request(model: "gpt-4o"), registry)
        #expect(error?.code == .noLiveProvider)
        #expect(
            error?.message == "no live provider for model 'gpt-4o': openai has no routable instance (2 breaker_open)")
        #expect(error?.errorType == .circuitOpen)
        #expect(error?.retryAfterMs == 3_000)
        // Providers whose breakers are all open are dropped; the others still route.
        #expect(try plan(RoutingPolicy(), request(), registry).providers == ["anthropic", "local"])
        // One instance with a closed breaker keeps the provider routable.
        registry.apply(status("openai", "o2", inFlight: 1, models: ["gpt-4o"]), receivedAt: t0)
        #expect(try plan(RoutingPolicy(), request(model: "gpt-4o"), registry).candidates[0].routableInstances == 1)
    }

    @Test func noProviderKnown() {
        let error = failure(RoutingPolicy(), request(model: nil), ProviderRegistry())
        #expect(error?.code == .noLiveProvider)
    }
}
