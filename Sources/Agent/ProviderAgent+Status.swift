import AgentCore
import Foundation
import Kafka
import Logging
public import Signals

// `provider_status`: periodic, on breaker transitions, on configuration changes, at shutdown,
// and as the answer to `get_provider_status`.
extension ProviderAgent {
    /// Publishes this instance's `provider_status` to the status topic (keyed provider/instance).
    func publishStatus(health: String? = nil) async {
        var status = statusSignal(requestID: nil)
        if let health { status.status = health }
        let message = answer(.providerStatus(status), to: configuration.statusTopic, key: configuration.statusKey)
        do {
            try await producer.send(message)
        } catch {
            logger.info("status not published", metadata: ["kafka.error": "\(error)"])
        }
    }

    /// This instance's status now (what `get_provider_status` answers).
    public var currentStatus: ProviderStatus { statusSignal(requestID: nil) }

    /// How many breaker transitions the status lists (all are counted).
    static var statusTransitions: Int { 10 }

    func statusSignal(requestID: String?) -> ProviderStatus {
        let wallNow = Date()
        return state.withLock { state in
            let now = ContinuousClock.now
            let limiter = state.admission.rateLimiter
            let breaker = state.admission.breaker
            let metrics = state.metrics
            var overall = Self.statusMetrics(metrics.overall)
            overall.inFlight = state.window.count
            overall.rejectedRequests = metrics.rejected
            overall.ledgerRepeats = metrics.ledgerRepeats
            overall.providerRecalls = metrics.providerRecalls
            overall.staleDropped = state.window.staleDropped
            let transitions = breaker.transitions.suffix(Self.statusTransitions).map { transition in
                ProviderStatus.CircuitBreaker.Transition(
                    at: wallNow.addingTimeInterval(-(now - transition.at).milliseconds / 1000).ISO8601Format(.iso8601.time(includingFractionalSeconds: true).year().month().day()),
                    from: transition.from.rawValue, to: transition.to.rawValue, reason: transition.reason
                )
            }
            var status = ProviderStatus(
                provider: configuration.provider,
                status: UpstreamHealth.status(breakerClosed: breaker.state == .closed, upstream: upstreamHealth.current),
                circuitBreaker: .init(
                    state: breaker.state.rawValue, failureCount: breaker.consecutiveFailures,
                    retryAfterMs: breaker.timeUntilProbe(at: now).map { Int(saturating: $0.milliseconds.rounded(.up)) },
                    transitions: breaker.totalTransitions, recentTransitions: transitions
                ),
                rateLimiter: .init(
                    limit: limiter.localRequestLimit ?? 0, windowMs: Int(saturating: limiter.policy.window.milliseconds),
                    currentCount: limiter.currentRequests(at: now), providerLimit: limiter.policy.requestsPerWindow,
                    tokensLimit: limiter.localTokenLimit, providerTokensLimit: limiter.policy.tokensPerWindow,
                    share: limiter.share, strategy: limiter.policy.strategy.rawValue
                ),
                metrics: overall,
                instance: configuration.instanceID,
                models: state.admission.models.sorted(),
                features: provider.supportedFeatures.map(\.rawValue).sorted(),
                requestID: requestID,
                modelMetrics: metrics.byModel.filter { !$0.key.isEmpty }.mapValues(Self.statusMetrics),
                ownedPartitions: state.window.owned.map { Int($0.partition) }.sorted(),
                configVersion: state.configVersion,
                uptimeMs: Int(saturating: wallNow.timeIntervalSince(self.state.startedAt) * 1000)
            )
            status.concurrencyLimit = state.admission.concurrency.limit
            status.statusIntervalMs = Int(saturating: configuration.statusInterval.milliseconds)
            return status
        }
    }

    private static func statusMetrics(_ totals: ProviderMetrics.Totals) -> ProviderStatus.Metrics {
        let latency = totals.latency.summary
        let measured = totals.latency.count > 0
        var metrics = ProviderStatus.Metrics(
            totalRequests: totals.total, successRate: totals.successRate, successfulRequests: totals.successful,
            failedRequests: totals.failed, p50LatencyMs: measured ? latency.p50 : nil, p99LatencyMs: measured ? latency.p99 : nil,
            totalTokens: totals.promptTokens + totals.completionTokens, totalCostUSD: totals.costUSD.isFinite ? totals.costUSD : .greatestFiniteMagnitude,
            p90LatencyMs: measured ? latency.p90 : nil, maxLatencyMs: measured ? latency.max : nil,
            promptTokens: totals.promptTokens, completionTokens: totals.completionTokens,
            errorsByType: totals.failuresByType.isEmpty ? nil : totals.failuresByType
        )
        metrics.tokensPerSecond = totals.tokensPerSecond
        metrics.loadTimeMs = totals.lastLoadTime?.milliseconds
        return metrics
    }
}
