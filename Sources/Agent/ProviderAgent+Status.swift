import AgentCore
import Foundation
import Kafka
import Logging
import Signals

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

    func statusSignal(requestID: String?) -> ProviderStatus {
        state.withLock { state in
            let now = ContinuousClock.now
            let limiter = state.admission.rateLimiter
            let overall = state.metrics.overall
            let latency = overall.latency.summary
            return ProviderStatus(
                provider: configuration.provider,
                status: state.admission.breaker.state == .closed ? "healthy" : "degraded",
                circuitBreaker: .init(state: state.admission.breaker.state.rawValue, failureCount: state.admission.breaker.consecutiveFailures),
                rateLimiter: .init(
                    limit: limiter.localRequestLimit ?? 0, windowMs: Int(limiter.policy.window.milliseconds),
                    currentCount: limiter.currentRequests(at: now), providerLimit: limiter.policy.requestsPerWindow
                ),
                metrics: .init(
                    totalRequests: overall.total, successRate: overall.successRate, successfulRequests: overall.successful,
                    failedRequests: overall.failed, inFlight: state.inFlight, p50LatencyMs: latency.p50, p99LatencyMs: latency.p99,
                    totalTokens: overall.promptTokens + overall.completionTokens, totalCostUSD: overall.costUSD
                ),
                instance: configuration.instanceID,
                models: state.admission.models.sorted(),
                features: provider.supportedFeatures.map(\.rawValue).sorted(),
                requestID: requestID
            )
        }
    }
}
