import Common
public import CoreMetrics
public import Prometheus

/// A process's metrics: a Prometheus registry and the swift-metrics factory that reports into it,
/// with every name spelled as Prometheus wants it (``MetricName/prometheusName(_:)``).
public struct Telemetry: Sendable {
    public let registry: PrometheusCollectorRegistry
    public let factory: any MetricsFactory

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.nameAndLabelSanitizer = { name, labels in
            (MetricName.prometheusName(name), labels.map { (MetricName.prometheusLabel($0.0), $0.1) })
        }
        // Provider calls take from milliseconds to minutes.
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2_500), .seconds(5), .seconds(10),
            .seconds(30), .seconds(60), .seconds(300),
        ]
        factory.valueHistogramBuckets[MetricName.prometheusName(MetricName.tokenUsage)] = [
            1, 4, 16, 64, 256, 1_024, 4_096, 16_384, 65_536, 262_144, 1_048_576,
        ]
        self.factory = factory
    }

    /// The Prometheus text exposition of everything recorded.
    public func exposition() -> [UInt8] { registry.emitToBuffer() }
}
