import Foundation
public import Signals

/// Health of one agent instance as the router sees it.
public enum InstanceHealth: String, Sendable, Hashable, CaseIterable {
    /// Fresh status, `healthy`, breaker closed.
    case healthy
    /// Fresh status, `degraded` or breaker half-open: routable, but after healthy providers.
    case degraded
    /// Fresh status whose circuit breaker is `open`: not routable until it closes or half-opens.
    case breakerOpen = "breaker_open"
    /// Fresh status `unavailable` (the upstream's own health probe failed): not routable.
    case unavailable
    /// Fresh status `stopping` (draining before shutdown): not routable.
    case stopping
    /// No status for more than `staleAfterMissedIntervals` × the status interval: not routable.
    case stale

    /// Whether requests may be sent to an instance in this state.
    public var isRoutable: Bool { self == .healthy || self == .degraded }
    /// Whether the instance counts as live (has reported recently and is not going away).
    public var isLive: Bool { self != .stale && self != .stopping }
}

/// One known agent instance: its last status and when it was received.
public struct InstanceState: Sendable, Hashable {
    public var provider: String
    /// The status's `instance`, or the provider name when the status carries none.
    public var instance: String
    public var lastStatus: ProviderStatus
    /// When this instance's first status arrived (its registration).
    public var registeredAt: ContinuousClock.Instant
    /// When its last status arrived.
    public var lastSeen: ContinuousClock.Instant
    /// The status interval this instance is expected to publish at.
    public var statusInterval: Duration
    /// Health at the time the containing view was computed.
    public var health: InstanceHealth

    /// Load: the status's `metrics.in_flight` (0 when absent).
    public var inFlight: Int { lastStatus.metrics.inFlight ?? 0 }
    /// Models the instance reports it can serve now.
    public var models: [String] { lastStatus.models ?? [] }
}

/// Aggregate view of one provider over its known instances.
public struct ProviderSummary: Sendable, Hashable {
    public var provider: String
    /// Every known (not removed) instance, sorted by instance id, with its health.
    public var instances: [InstanceState]
    /// Instances whose status is fresh and which are not stopping.
    public var liveInstances: Int { instances.filter { $0.health.isLive }.count }
    /// Instances requests may be sent to (live, not unavailable, breaker not open).
    public var routableInstances: Int { instances.filter { $0.health.isRoutable }.count }
    /// Whether at least one routable instance is fully healthy.
    public var hasHealthyInstance: Bool { instances.contains { $0.health == .healthy } }
    /// Sum of `in_flight` over live instances.
    public var inFlight: Int { instances.filter { $0.health.isLive }.reduce(0) { $0 + $1.inFlight } }
    /// Union of the models of every known instance (stale ones included: they say what the
    /// provider serves, not whether it is up).
    public var models: Set<String> { Set(instances.flatMap(\.models)) }
    /// Union of the `features` of instances whose status carries them; `nil` when none does
    /// (then the router falls back to configuration).
    public var features: Set<ProviderFeature>? {
        let carried = instances.compactMap(\.lastStatus.features)
        guard !carried.isEmpty else { return nil }
        return Set(carried.flatMap { $0.map(ProviderFeature.init(rawValue:)) })
    }
    /// Live instances per breaker state (`closed`, `open`, `half_open`).
    public var breakerStates: [String: Int] {
        instances.filter { $0.health.isLive }.reduce(into: [:]) {
            $0[$1.lastStatus.circuitBreaker.state, default: 0] += 1
        }
    }
    /// The smallest `retry_after_ms` among live instances with an open breaker.
    public var breakerRetryAfterMs: Int? {
        instances.filter { $0.health == .breakerOpen }.compactMap(\.lastStatus.circuitBreaker.retryAfterMs).min()
    }

    /// p90 latency over live instances: per instance the model's own figure
    /// (`model_metrics[model].p90_latency_ms`) when present, else the instance's overall figure;
    /// combined as a mean weighted by each instance's `total_requests` for that figure (plain mean
    /// when all are 0). `nil` when no live instance reports one.
    public func p90LatencyMs(model: String? = nil) -> Double? {
        var figures: [(value: Double, weight: Double)] = []
        for state in instances where state.health.isLive {
            let metrics =
                model.flatMap { state.lastStatus.modelMetrics?[$0] }.flatMap { $0.p90LatencyMs == nil ? nil : $0 }
                ?? state.lastStatus.metrics
            guard let p90 = metrics.p90LatencyMs else { continue }
            figures.append((p90, Double(max(metrics.totalRequests, 0))))
        }
        guard !figures.isEmpty else { return nil }
        let total = figures.reduce(0) { $0 + $1.weight }
        if total == 0 { return figures.reduce(0) { $0 + $1.value } / Double(figures.count) }
        return figures.reduce(0) { $0 + $1.value * $1.weight } / total
    }
}

/// The router's picture of every provider agent, built from `provider_status` signals.
///
/// A value type; time is passed in as `ContinuousClock.Instant` (the router stamps each status
/// when it receives it; the status's own wall-clock `time` is not trusted across machines).
/// Instances are keyed by provider/instance (the status's `instance`, or the provider name when
/// absent). An instance's first status registers it; a status `stopped` removes it; an instance
/// with no status for more than `staleAfterMissedIntervals` × its status interval is `stale`
/// (kept, shown, never routed to) until its next status revives it.
public struct ProviderRegistry: Sendable {
    /// Missed status intervals after which an instance is stale (default 3).
    public var staleAfterMissedIntervals: Int
    /// Status interval assumed for providers without an entry in `statusIntervals` (default 5 s,
    /// the agents' default `status_interval_ms`).
    public var defaultStatusInterval: Duration
    /// Configured status interval per provider, for instances whose `provider_status` carries no
    /// `status_interval_ms` (agents report theirs).
    public var statusIntervals: [String: Duration]

    private var states: [Key: Stored] = [:]
    /// Requests this router sent to each provider lately (see ``recordForward(to:at:)``).
    private var forwards: [String: DecayingCount] = [:]

    struct Key: Hashable, Sendable {
        var provider: String
        var instance: String
    }

    struct Stored: Hashable, Sendable {
        var status: ProviderStatus
        var registeredAt: ContinuousClock.Instant
        var lastSeen: ContinuousClock.Instant
    }

    /// What `apply` did.
    public enum Change: Sendable, Hashable {
        /// First status of this instance.
        case registered
        /// Later status of a known instance.
        case updated
        /// `stopped` status of a known instance: removed.
        case removed
        /// `stopped` status of an unknown instance: nothing changed.
        case ignored
    }

    public init(
        staleAfterMissedIntervals: Int = 3, defaultStatusInterval: Duration = .seconds(5),
        statusIntervals: [String: Duration] = [:]
    ) {
        self.staleAfterMissedIntervals = max(1, staleAfterMissedIntervals)
        self.defaultStatusInterval = defaultStatusInterval
        self.statusIntervals = statusIntervals
    }

    /// Applies one `provider_status` received at `receivedAt`.
    @discardableResult
    public mutating func apply(_ status: ProviderStatus, receivedAt: ContinuousClock.Instant) -> Change {
        let key = Key(provider: status.provider, instance: status.instance ?? status.provider)
        if status.status == "stopped" {
            return states.removeValue(forKey: key) == nil ? .ignored : .removed
        }
        if var stored = states[key] {
            stored.status = status
            stored.lastSeen = receivedAt
            states[key] = stored
            return .updated
        }
        states[key] = Stored(status: status, registeredAt: receivedAt, lastSeen: receivedAt)
        return .registered
    }

    /// Forgets instances whose last status is older than `age` (a crashed agent never sends
    /// `stopped`; with autoscaled instance ids the registry would otherwise grow forever).
    /// Returns the forgotten `provider/instance` keys, sorted. Call it now and then with an age
    /// well above the stale threshold (e.g. 10 minutes) so stale instances stay visible a while.
    @discardableResult
    public mutating func forget(olderThan age: Duration, at now: ContinuousClock.Instant) -> [String] {
        let old = states.filter { now - $0.value.lastSeen > age }.keys
        for key in old { states.removeValue(forKey: key) }
        return old.map { "\($0.provider)/\($0.instance)" }.sorted()
    }

    /// The status interval configured for `provider`'s instances (an instance's own
    /// `status_interval_ms` wins).
    public func statusInterval(of provider: String) -> Duration {
        statusIntervals[provider] ?? defaultStatusInterval
    }

    /// Notes that this router just sent a request to `provider`. Statuses report in-flight counts
    /// once per status interval; between two, ``recentForwards(to:at:)`` tells `least_loaded`
    /// what this router itself added, so it does not send every request to the same provider.
    public mutating func recordForward(to provider: String, at now: ContinuousClock.Instant) {
        forwards[provider, default: DecayingCount()].add(at: now, lifetime: statusInterval(of: provider))
    }

    /// Requests sent to `provider` lately: each counts 1 when sent, fading with the provider's
    /// status interval as mean lifetime (by then its status reports it, if it is still in flight).
    public func recentForwards(to provider: String, at now: ContinuousClock.Instant) -> Double {
        forwards[provider]?.value(at: now, lifetime: statusInterval(of: provider)) ?? 0
    }

    /// Every provider with at least one known instance, sorted by name.
    public var providerNames: [String] { Set(states.keys.map(\.provider)).sorted() }

    /// Known instances of `provider` with their health at `now`, sorted by instance id.
    public func instances(of provider: String, at now: ContinuousClock.Instant) -> [InstanceState] {
        let configured = statusInterval(of: provider)
        return states.filter { $0.key.provider == provider }
            .map { key, stored in
                // The interval the instance itself reports wins over the configured one.
                let interval =
                    stored.status.statusIntervalMs.flatMap { $0 > 0 ? Duration.milliseconds($0) : nil } ?? configured
                let staleAfter = interval * staleAfterMissedIntervals
                return InstanceState(
                    provider: key.provider, instance: key.instance, lastStatus: stored.status,
                    registeredAt: stored.registeredAt, lastSeen: stored.lastSeen, statusInterval: interval,
                    health: Self.health(of: stored.status, age: now - stored.lastSeen, staleAfter: staleAfter))
            }
            .sorted { $0.instance < $1.instance }
    }

    /// The aggregate of `provider` at `now`; `nil` when it has no known instance.
    public func provider(_ name: String, at now: ContinuousClock.Instant) -> ProviderSummary? {
        let list = instances(of: name, at: now)
        return list.isEmpty ? nil : ProviderSummary(provider: name, instances: list)
    }

    /// Aggregates of every known provider at `now`, sorted by name.
    public func providers(at now: ContinuousClock.Instant) -> [ProviderSummary] {
        providerNames.compactMap { provider($0, at: now) }
    }

    /// Stale when older than `staleAfter` (strictly); else from the status and breaker state.
    static func health(of status: ProviderStatus, age: Duration, staleAfter: Duration) -> InstanceHealth {
        if age > staleAfter { return .stale }
        switch status.status {
        case "stopping": return .stopping
        case "unavailable": return .unavailable
        default: break
        }
        switch status.circuitBreaker.state {
        case "open": return .breakerOpen
        case "half_open": return .degraded
        default: return status.status == "healthy" ? .healthy : .degraded
        }
    }
}

/// A count whose every unit fades exponentially: `value(at:)` = Σ exp(−age / lifetime).
struct DecayingCount: Sendable, Hashable {
    private var value = 0.0
    private var at: ContinuousClock.Instant?

    func value(at now: ContinuousClock.Instant, lifetime: Duration) -> Double {
        guard let at else { return 0 }
        let age = max(0, (now - at) / lifetime)
        return value * exp(-age)
    }

    mutating func add(at now: ContinuousClock.Instant, lifetime: Duration) {
        value = value(at: now, lifetime: lifetime) + 1
        at = now
    }
}
