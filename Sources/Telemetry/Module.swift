/// Telemetry: what a process tells a monitor while it runs.
///
/// It owns the Prometheus registry a process reports into (``Telemetry``, spelling the names of
/// `Common.MetricName` as Prometheus wants them), and the HTTP endpoint that serves it
/// (``MetricsEndpoint``: `/metrics`, `/health`, `/ready`). Workers record through swift-metrics
/// with a factory they are given, so tests inject their own.
