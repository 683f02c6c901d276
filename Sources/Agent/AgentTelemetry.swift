import Common
import CoreMetrics
import Signals
import Synchronization

/// What an agent reports to its metrics factory (docs/monitoring.md): each answered call's
/// duration, tokens and outcome as it finishes, each refusal, and the breaker, limiter and calls
/// in flight at each status. The metric objects are made once per model and outcome.
final class AgentTelemetry: Sendable {
    private let provider: String
    private let factory: any MetricsFactory
    /// Sendable: the metric objects are Sendable, the dictionary behind the mutex.
    private let timers = Mutex<[String: CoreMetrics.Timer]>([:])
    private let firstChunkTimers = Mutex<[String: CoreMetrics.Timer]>([:])
    private let counters = Mutex<[String: Counter]>([:])
    private let recorders = Mutex<[String: Recorder]>([:])
    private let breaker: Gauge
    private let limiter: Gauge
    private let inFlight: Gauge

    init(provider: String, factory: any MetricsFactory) {
        self.provider = provider
        self.factory = factory
        let dimensions = [(MetricAttribute.providerName, provider)]
        breaker = Gauge(label: MetricName.breakerState, dimensions: dimensions, factory: factory)
        limiter = Gauge(label: MetricName.limiterUtilization, dimensions: dimensions, factory: factory)
        inFlight = Gauge(label: MetricName.inFlight, dimensions: dimensions, factory: factory)
    }

    /// A call that reached the provider (or failed trying) and its answer.
    func answered(_ answer: Signal, model: String, latency: Duration) {
        switch answer {
        case .providerResponse(let response):
            timer(model: response.model, errorType: nil).recordNanoseconds(latency.wholeNanoseconds)
            count(model: response.model, outcome: "response", errorType: nil)
            if let usage = response.usage {
                tokens(model: response.model, type: "input").record(usage.promptTokens)
                tokens(model: response.model, type: "output").record(usage.completionTokens)
            }
        case .providerError(let error):
            timer(model: model, errorType: error.errorType.rawValue).recordNanoseconds(latency.wholeNanoseconds)
            count(model: model, outcome: "error", errorType: error.errorType.rawValue)
        default:
            break
        }
    }

    /// A streamed call's time to its first chunk.
    func firstChunk(model: String, after latency: Duration) {
        let timer = Self.cached(firstChunkTimers, model) {
            CoreMetrics.Timer(label: MetricName.timeToFirstChunk, dimensions: base(model), factory: factory)
        }
        timer.recordNanoseconds(latency.wholeNanoseconds)
    }

    /// A request refused before any call (limits, breaker, slots, deadline, model, safety).
    func refused(model: String, errorType: String) {
        count(model: model, outcome: "refused", errorType: errorType)
    }

    /// What a status says about this instance.
    func status(breakerState: String, utilisation: Double, inFlight calls: Int) {
        breaker.record(Self.breakerValue(breakerState))
        limiter.record(utilisation)
        inFlight.record(calls)
    }

    /// 0 closed, 1 half-open, 2 open.
    static func breakerValue(_ state: String) -> Int {
        switch state {
        case "open": 2
        case "half_open": 1
        default: 0
        }
    }

    private func base(_ model: String) -> [(String, String)] {
        [
            (MetricAttribute.providerName, provider), (MetricAttribute.requestModel, model),
            (MetricAttribute.operationName, "chat"),
        ]
    }

    private func timer(model: String, errorType: String?) -> CoreMetrics.Timer {
        Self.cached(timers, "\(model)\u{0}\(errorType ?? "")") {
            CoreMetrics.Timer(
                label: MetricName.operationDuration,
                dimensions: base(model) + (errorType.map { [(MetricAttribute.errorType, $0)] } ?? []), factory: factory)
        }
    }

    private func count(model: String, outcome: String, errorType: String?) {
        Self.cached(counters, "\(model)\u{0}\(outcome)\u{0}\(errorType ?? "")") {
            Counter(
                label: MetricName.requests,
                dimensions: base(model) + [(MetricAttribute.outcome, outcome)]
                    + (errorType.map { [(MetricAttribute.errorType, $0)] } ?? []),
                factory: factory)
        }.increment()
    }

    private func tokens(model: String, type: String) -> Recorder {
        Self.cached(recorders, "\(model)\u{0}\(type)") {
            Recorder(
                label: MetricName.tokenUsage, dimensions: base(model) + [(MetricAttribute.tokenType, type)],
                aggregate: true, factory: factory)
        }
    }

    /// The metric kept under `key` in `store`, made by `make` the first time it is asked for.
    private static func cached<Metric: Sendable>(
        _ store: borrowing Mutex<[String: Metric]>, _ key: String, _ make: () -> Metric
    ) -> Metric {
        store.withLock { metrics in
            if let metric = metrics[key] { return metric }
            let metric = make()
            metrics[key] = metric
            return metric
        }
    }
}
