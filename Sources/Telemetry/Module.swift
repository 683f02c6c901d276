/// Telemetry: what a process tells a monitor while it runs.
///
/// It owns the one scheme of metric names (``MetricName``, dotted, the OpenTelemetry GenAI names
/// where they exist, and their Prometheus spelling), the Prometheus registry a process reports
/// into (``Telemetry``), and the HTTP endpoint that serves it (``MetricsEndpoint``: `/metrics`,
/// `/health`, `/ready`). Workers record through swift-metrics with a factory they are given, so
/// tests inject their own.
