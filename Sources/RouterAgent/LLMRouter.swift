public import CoreMetrics
public import Kafka
public import Logging
public import Router
public import ServiceLifecycle
public import Signals
import WorkerRuntime

/// A router instance: ``RouterHandler`` on the worker runtime (``KafkaWorker``), consuming
/// `llm.router.requests`, `llm.errors` and its delay topic in consumer group `llm-router`, with
/// `llm.router.journal` as its journal and all of `llm.status` for its registry.
public final class LLMRouter: Service, Sendable {
    public let configuration: LLMRouterConfiguration
    let worker: KafkaWorker<RouterHandler>

    /// - Parameter metrics: where its worker counts publish retries and dead letters
    ///   (docs/monitoring.md); by default the process's `MetricsSystem`.
    public init(
        configuration: LLMRouterConfiguration, logger: Logger, metrics: any MetricsFactory = MetricsSystem.factory
    ) throws(KafkaError) {
        self.configuration = configuration
        worker = try KafkaWorker(
            configuration: configuration.workerConfiguration,
            handler: RouterHandler(configuration: configuration, logger: logger),
            logger: logger, metrics: metrics
        )
    }

    /// Reads the status topic (the registry), then routes until a graceful shutdown (or
    /// ``shutdown()``): stops fetching, hands back retries waiting out a backoff, lets the rest
    /// finish within the drain timeout, commits, leaves the group and flushes.
    public func run() async throws {
        try await worker.run()
    }

    /// Stops the router like a graceful shutdown (for use outside a `ServiceGroup`).
    public func shutdown() {
        worker.shutdown()
    }

    /// Returns once the registry is read and the router consumes.
    public func waitUntilStarted() async {
        await worker.handler.waitUntilStarted()
    }

    /// What this router did so far.
    public var counters: RouterCounters {
        var counters = worker.handler.counters
        counters.staleDropped = worker.context.counters.staleDropped
        return counters
    }

    /// The providers as this router sees them now.
    public var providers: [ProviderSummary] { worker.handler.providers }

    /// Partitions of the router's inputs this instance owns now.
    public var assignedPartitions: Int { worker.context.ownedPartitions.count }

    /// A signal as a Kafka message: keyed, with the signal headers.
    public static func message(_ signal: Signal, to topic: String, key: String, source: String) -> KafkaProducerMessage
    {
        RouterHandler.message(signal, to: topic, key: key, source: source)
    }
}
