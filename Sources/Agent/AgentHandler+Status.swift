import AgentCore
import Common
import Foundation
import Kafka
public import Signals
import Synchronization
import WorkerRuntime

/// Wakes the status companion at once (a breaker moved, a setting changed, the upstream's health
/// changed); cheap to fire from anywhere.
final class StatusTrigger: Sendable {
    private let waiter = Mutex<CheckedContinuation<Void, Never>?>(nil)
    private let pending = Mutex(false)

    func fire() {
        let parked = waiter.withLock { waiter -> CheckedContinuation<Void, Never>? in
            defer { waiter = nil }
            return waiter
        }
        if let parked {
            parked.resume()
        } else {
            pending.withLock { $0 = true }
        }
    }

    /// Returns when fired (at once if it was fired since the last wait) or after `timeout`.
    func wait(timeout: Duration) async {
        if pending.withLock({ fired in
            defer { fired = false }
            return fired
        }) {
            return
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let fired = self.pending.withLock { fired -> Bool in
                        defer { fired = false }
                        return fired
                    }
                    if fired {
                        continuation.resume()
                    } else {
                        self.waiter.withLock { $0 = continuation }
                    }
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                self.waiter.withLock { waiter in
                    waiter?.resume()
                    waiter = nil
                }
            }
            await group.next()
            group.cancelAll()
            self.waiter.withLock { waiter in
                waiter?.resume()
                waiter = nil
            }
        }
    }
}

// `provider_status`: periodic, at once on breaker transitions (also open → half-open, which
// happens by time), configuration and health changes, at shutdown, and as the answer to
// `get_provider_status`.
extension AgentHandler {
    /// The status companion: publishes every status interval and whenever fired; moves an open
    /// breaker to half-open when its timeout has passed.
    func publishStatuses(_ worker: WorkerContext) async {
        while !Task.isCancelled {
            await publishStatus(worker)
            let untilProbe = state.withLock { $0.pipeline.admission.breaker.timeUntilProbe(at: .now) }
            await statusNow.wait(
                timeout: min(configuration.statusInterval, untilProbe.map { $0 + .milliseconds(1) } ?? .seconds(3600)))
            if state.withLock({ $0.pipeline.admission.breaker.refresh(at: .now) }) {
                logger.info("circuit half-open", metadata: [LogKey.provider: "\(configuration.provider)"])
            }
        }
    }

    /// Publishes this instance's `provider_status` (keyed provider/instance) and waits for it.
    func publishStatus(_ worker: WorkerContext, health: String? = nil) async {
        var status = statusSignal(requestID: nil, worker: worker)
        if let health { status.status = health }
        let limiter = status.rateLimiter
        let utilisation = limiter.limit > 0 ? Double(limiter.currentCount) / Double(limiter.limit) : 0
        telemetry.status(
            breakerState: status.circuitBreaker.state, utilisation: utilisation, inFlight: status.metrics.inFlight ?? 0)
        let message = answers.message(
            .providerStatus(status), to: configuration.statusTopic, key: configuration.statusKey)
        do {
            try await worker.producer.send(message)
        } catch {
            logger.error(
                "status not published",
                metadata: [LogKey.topic: "\(configuration.statusTopic)", LogKey.error: "\(error)"])
        }
    }

    /// This instance's status now, without the worker's own counters (in flight, stale drops).
    public var status: ProviderStatus { statusSignal(requestID: nil, worker: nil) }

    /// How many breaker transitions the status lists (all are counted).
    static var statusTransitions: Int { 10 }

    func statusSignal(requestID: String?, worker: WorkerContext?) -> ProviderStatus {
        let wallNow = Date()
        let load = worker?.load
        let counters = worker?.counters
        return state.withLock { state in
            let now = ContinuousClock.now
            let admission = state.pipeline.admission
            let limiter = admission.rateLimiter
            let breaker = admission.breaker
            let metrics = state.pipeline.metrics
            var overall = Self.statusMetrics(metrics.overall)
            overall.inFlight = load?.inFlight ?? state.pipeline.tracker.count
            overall.rejectedRequests = metrics.rejected
            overall.ledgerRepeats = state.ledgerRepeats
            overall.providerRecalls = state.providerRecalls
            overall.staleDropped = counters?.staleDropped ?? 0
            let transitions = breaker.transitions.suffix(Self.statusTransitions).map { transition in
                ProviderStatus.CircuitBreaker.Transition(
                    at: wallNow.addingTimeInterval(-(now - transition.at).milliseconds / 1000)
                        .ISO8601Format(.iso8601.time(includingFractionalSeconds: true).year().month().day()),
                    from: transition.from.rawValue, to: transition.to.rawValue, reason: transition.reason
                )
            }
            var status = ProviderStatus(
                provider: configuration.provider,
                status: UpstreamHealth.status(
                    breakerClosed: breaker.state == .closed, upstream: upstreamHealth.current),
                circuitBreaker: .init(
                    state: breaker.state.rawValue, failureCount: breaker.consecutiveFailures,
                    retryAfterMs: breaker.timeUntilProbe(at: now).map { Int(saturating: $0.milliseconds.rounded(.up)) },
                    transitions: breaker.totalTransitions, recentTransitions: transitions
                ),
                rateLimiter: .init(
                    limit: limiter.localRequestLimit ?? 0,
                    windowMs: Int(saturating: limiter.policy.window.milliseconds),
                    currentCount: limiter.currentRequests(at: now), providerLimit: limiter.policy.requestsPerWindow,
                    tokensLimit: limiter.localTokenLimit, providerTokensLimit: limiter.policy.tokensPerWindow,
                    share: limiter.share, strategy: limiter.policy.strategy.rawValue
                ),
                metrics: overall,
                instance: configuration.instanceID,
                models: admission.models.sorted(),
                features: provider.supportedFeatures.map(\.rawValue).sorted(),
                requestID: requestID,
                modelMetrics: metrics.byModel.filter { !$0.key.isEmpty }.mapValues(Self.statusMetrics),
                ownedPartitions: state.owned.map { Int($0) }.sorted(),
                configVersion: state.pipeline.configVersion,
                uptimeMs: Int(saturating: wallNow.timeIntervalSince(self.state.startedAt) * 1000)
            )
            status.concurrencyLimit = admission.concurrency.limit
            status.statusIntervalMs = Int(saturating: configuration.statusInterval.milliseconds)
            return status
        }
    }

    private static func statusMetrics(_ totals: ProviderMetrics.Totals) -> ProviderStatus.Metrics {
        let latency = totals.latency.summary
        let measured = totals.latency.count > 0
        var metrics = ProviderStatus.Metrics(
            totalRequests: totals.total, successRate: totals.successRate, successfulRequests: totals.successful,
            failedRequests: totals.failed, p50LatencyMs: measured ? latency.p50 : nil,
            p99LatencyMs: measured ? latency.p99 : nil,
            totalTokens: totals.promptTokens + totals.completionTokens,
            totalCostUSD: totals.costUSD.isFinite ? totals.costUSD : .greatestFiniteMagnitude,
            p90LatencyMs: measured ? latency.p90 : nil, maxLatencyMs: measured ? latency.max : nil,
            promptTokens: totals.promptTokens, completionTokens: totals.completionTokens,
            errorsByType: totals.failuresByType.isEmpty ? nil : totals.failuresByType
        )
        metrics.tokensPerSecond = totals.tokensPerSecond
        metrics.loadTimeMs = totals.lastLoadTime?.milliseconds
        return metrics
    }
}
