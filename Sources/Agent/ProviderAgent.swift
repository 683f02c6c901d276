public import AgentCore
public import CoreMetrics
public import Kafka
public import Logging
public import ServiceLifecycle
public import Signals
import WorkerRuntime

/// A provider agent: consumes `llm.requests.<provider>` in group `llm-provider-<provider>` and
/// answers every message (``AgentHandler``), on the worker runtime (``KafkaWorker``): many
/// requests at once, offsets stored only for each partition's contiguous answered prefix, the
/// ledger (`llm.ledger.<provider>`) as its journal so a redelivered or resent request is
/// answered from it instead of calling (and paying) the provider twice.
///
/// Before the first request it applies the provider's control topic and keeps following it;
/// it publishes `provider_status` periodically and on every change. On a graceful shutdown it
/// stops fetching, finishes what it took in (until the drain timeout), commits, leaves the
/// group, publishes a final status `stopped` and flushes.
public final class ProviderAgent: Service, Sendable {
    public let configuration: ProviderAgentConfiguration
    let worker: KafkaWorker<AgentHandler>

    /// - Parameter metrics: where it reports its metrics (docs/monitoring.md); by default the
    ///   process's `MetricsSystem`.
    public init(
        configuration: ProviderAgentConfiguration, provider: any LLMProvider, logger: Logger,
        metrics: any MetricsFactory = MetricsSystem.factory
    ) throws(KafkaError) {
        self.configuration = configuration
        let handler = AgentHandler(configuration: configuration, provider: provider, logger: logger, metrics: metrics)
        worker = try KafkaWorker(
            configuration: configuration.workerConfiguration, handler: handler, logger: logger, metrics: metrics)
    }

    /// Runs until a graceful shutdown (or ``shutdown()``); see the type's description.
    public func run() async throws {
        try await worker.run()
    }

    /// Stops the agent like a graceful shutdown (for use outside a `ServiceGroup`).
    public func shutdown() {
        worker.shutdown()
    }

    /// Ledger records read to rebuild partition indexes since the start, and how many rebuilds.
    public var ledgerReads: (records: Int, builds: Int) {
        worker.context.journal?.reads ?? (0, 0)
    }

    /// Whether it holds partitions of its request topic (what `/ready` answers).
    public var holdsAssignment: Bool {
        !worker.context.ownedPartitions.isEmpty
    }

    /// This instance's status now (what `get_provider_status` answers).
    public var currentStatus: ProviderStatus {
        worker.handler.statusSignal(requestID: nil, worker: worker.context)
    }
}
