public import Common
public import CoreMetrics
import Foundation
import HTTPTypes
import Hummingbird
import Kafka
public import Logging
import NIOCore
import ProviderClient
import Router
public import ServiceLifecycle
import Signals
import Synchronization
import WorkerRuntime

/// The OpenAI-compatible HTTP gateway: `POST /v1/chat/completions` (JSON or server-sent events),
/// `GET /v1/models`, keys, errors in OpenAI's shape. Every request becomes a `provider_request`
/// on Kafka (to the router, or straight to a provider for `provider/model`); the answer comes back
/// on this instance's own reply topic (`<prefix>llm.replies.<instance id>`), so instances run
/// side by side without reading each other's answers.
///
/// `run()` owns one task group: the provider client's reader, the status follower (the models
/// list), the streaming calls, and the HTTP server. A graceful shutdown stops the server, then the
/// rest.
public final class Gateway: Service, Sendable {
    public let configuration: GatewayConfiguration
    let logger: Logger
    let client: ProviderClient
    let statusFollower: TopicFollower
    let registry = Mutex(ProviderRegistry())
    /// The other gateways (their heartbeats), and every key's limit at this instance's share.
    let peers: Mutex<GatewayPeers>
    let limits: Mutex<KeyLimits>
    private let peersFollower: TopicFollower
    private let producer: KafkaProducer
    /// Files and batch jobs, with a batch runner unless ``GatewayConfiguration/runsBatches`` is off.
    let batch: BatchService
    var files: FileStore { batch.files }
    var batches: BatchStore { batch.batches }
    /// How often this instance says it lives.
    static let heartbeatInterval = Duration.seconds(2)
    /// Streaming calls, run as children of ``run()``'s task group.
    let calls = BatchQueue<@Sendable () async -> Void>()
    /// Calls in flight by request id, shared by concurrent requests with the same id.
    let shared = SharedCalls()
    /// The HTTP server's bound port, once it listens.
    private let boundPort = Mutex<Int?>(nil)
    /// Where HTTP requests are counted.
    private let metrics: any MetricsFactory

    /// One call through Kafka as an OpenTelemetry GenAI client sees it
    /// (`gen_ai.client.operation.duration`): the model as the client named it, the provider that
    /// answered, the error's type when it failed.
    func observe(model: String, outcome: SharedCalls.Outcome, latency: Duration) {
        var dimensions = [(MetricAttribute.requestModel, model), (MetricAttribute.operationName, "chat")]
        switch outcome {
        case .success(let result):
            dimensions.append((MetricAttribute.providerName, result.provider ?? "unknown"))
            if let error = result.error { dimensions.append((MetricAttribute.errorType, error.errorType.rawValue)) }
        case .failure(let error):
            dimensions.append((MetricAttribute.providerName, "unknown"))
            dimensions.append((MetricAttribute.errorType, error.code.name))
        }
        CoreMetrics.Timer(label: MetricName.operationDuration, dimensions: dimensions, factory: metrics)
            .recordNanoseconds(latency.wholeNanoseconds)
    }

    /// Counts one HTTP request answered (`provider_agents.gateway.requests`).
    func count(api: String, status: Int) {
        Counter(
            label: MetricName.gatewayRequests,
            dimensions: [(MetricAttribute.api, api), (MetricAttribute.status, "\(status)")], factory: metrics
        ).increment()
    }

    /// - Parameter metrics: where it counts its HTTP requests and its runner's retries and dead
    ///   letters (docs/monitoring.md); by default the process's `MetricsSystem`.
    public init(
        configuration: GatewayConfiguration, logger: Logger, metrics: any MetricsFactory = MetricsSystem.factory
    ) throws {
        try configuration.validate()
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
        var clientConfiguration = ProviderClientConfiguration(
            common: configuration.kafka, clientID: configuration.instanceID, topicPrefix: configuration.topicPrefix)
        clientConfiguration.common.clientID = "provider-agents-gateway-\(configuration.instanceID)"
        clientConfiguration.connectTimeout = configuration.connectTimeout
        clientConfiguration.defaultTimeout = configuration.requestTimeout
        clientConfiguration.apply(configuration.latency)
        client = try ProviderClient(configuration: clientConfiguration, logger: logger)
        let clients = WorkerKafkaClients(
            bootstrapServers: configuration.kafka.bootstrapServers,
            clientID: "provider-agents-gateway-\(configuration.instanceID)",
            properties: configuration.kafka.properties, latency: .balanced)
        statusFollower = TopicFollower(
            topic: configuration.topics.status,
            configuration: clients.follower(purpose: "status", groupID: "gateway-\(configuration.instanceID)-status"),
            connectTimeout: configuration.connectTimeout, logger: logger)
        peersFollower = TopicFollower(
            topic: configuration.topics.gatewayStatus,
            configuration: clients.follower(purpose: "peers", groupID: "gateway-\(configuration.instanceID)-peers"),
            connectTimeout: configuration.connectTimeout, logger: logger)
        let producer = try KafkaProducer(configuration: clients.producer, logger: logger)
        self.producer = producer
        batch = try BatchService(
            kafka: configuration.kafka, topics: configuration.topics, instanceID: configuration.instanceID,
            client: configuration.runsBatches ? client : nil, requestTimeout: configuration.requestTimeout,
            connectTimeout: configuration.connectTimeout, window: configuration.batchWindow, logger: logger,
            metrics: metrics)
        peers = Mutex(GatewayPeers(own: configuration.instanceID))
        limits = Mutex(KeyLimits(keys: configuration.keys))
    }

    /// The port the server listens on, once it does (the configured one, or the one the system
    /// picked for port 0).
    public var port: Int? { boundPort.withLock { $0 } }

    /// Serves until a graceful shutdown or cancellation; throws when the broker or the listening
    /// address cannot be used.
    public func run() async throws {
        try await client.start()
        try await statusFollower.readToEnd(timeout: max(configuration.connectTimeout, .seconds(30))) { message in
            self.apply(message)
        }
        try await peersFollower.readToEnd(timeout: max(configuration.connectTimeout, .seconds(30))) { message in
            self.applyPeer(message)
        }
        try await batch.load()
        try await beat(stopping: false)
        let application = Application(
            router: GatewayRoutes(gateway: self).router(),
            server: .http1(
                configuration: .init(
                    idleTimeout: .milliseconds(configuration.idleTimeout.wholeMilliseconds))),
            configuration: .init(
                address: .hostname(configuration.listenHost, port: configuration.listenPort),
                serverName: "provider-agents-gateway"),
            onServerRunning: { channel in
                self.boundPort.withLock { $0 = channel.localAddress?.port }
            },
            logger: logger
        )
        logger.info(
            "gateway listening",
            metadata: [
                LogKey.listen: "\(configuration.listenHost):\(configuration.listenPort)",
                LogKey.replyTopic: "\(client.replyTopic)",
            ])
        do {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { try await self.client.run() }
                group.addTask { await self.statusFollower.follow { message in self.apply(message) } }
                group.addTask { await self.peersFollower.follow { message in self.applyPeer(message) } }
                group.addTask { await self.beatUntilCancelled() }
                for companion in self.batch.companions { group.addTask { try await companion() } }
                group.addTask { await self.runCalls() }
                try await application.runService(gracefulShutdownSignals: [])
                group.cancelAll()
            }
        } catch {
            logger.error(
                "gateway stopped",
                metadata: [
                    LogKey.listen: "\(configuration.listenHost):\(configuration.listenPort)", LogKey.error: "\(error)",
                ])
            await stop()
            throw error
        }
        await stop()
    }

    private func stop() async {
        calls.finish()
        try? await beat(stopping: true)
        await producer.close(timeout: .seconds(5))
        await batch.close()
        await client.shutdown()
    }

    // MARK: Peers

    /// Publishes this instance's heartbeat (`stopping`: the last one, so the others stop counting
    /// it at once).
    private func beat(stopping: Bool) async throws {
        let beat = GatewayPeers.Heartbeat(
            instance: configuration.instanceID, intervalMs: Int(Self.heartbeatInterval.wholeMilliseconds),
            stopping: stopping)
        let value = (try? JSONEncoder().encode(beat)).map { [UInt8]($0) } ?? []
        try await producer.send(
            KafkaProducerMessage(
                topic: configuration.topics.gatewayStatus, key: Array(configuration.instanceID.utf8), value: value))
        reshare()
    }

    private func beatUntilCancelled() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: Self.heartbeatInterval)
            guard !Task.isCancelled else { break }
            do {
                try await beat(stopping: false)
            } catch {
                logger.error(
                    "gateway heartbeat not published",
                    metadata: [LogKey.topic: "\(configuration.topics.gatewayStatus)", LogKey.error: "\(error)"])
            }
        }
    }

    private func applyPeer(_ message: KafkaConsumerMessage) {
        guard let beat = try? JSONDecoder().decode(GatewayPeers.Heartbeat.self, from: Data(message.value)) else {
            return
        }
        peers.withLock { $0.apply(beat, at: .now) }
        reshare()
    }

    /// Every key's limit at this instance's share of the live gateways.
    private func reshare() {
        let share = peers.withLock { $0.share(at: .now) }
        limits.withLock { $0.setShare(share) }
    }

    private func apply(_ message: KafkaConsumerMessage) {
        guard let envelope = try? SignalDecoder().decode(message.value),
            case .providerStatus(let status) = envelope.signal
        else { return }
        registry.withLock { _ = $0.apply(status, receivedAt: .now) }
    }

    /// What the registry says now.
    var catalog: ModelCatalog {
        ModelCatalog(providers: registry.withLock { $0.providers(at: .now) })
    }

    /// Runs streaming calls as child tasks until the gateway stops.
    private func runCalls() async {
        await withDiscardingTaskGroup { group in
            while true {
                let batch = await calls.next()
                if batch.isEmpty || Task.isCancelled { break }
                for call in batch { group.addTask { await call() } }
            }
        }
    }
}
