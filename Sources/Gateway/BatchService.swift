public import Batch
import Common
public import CoreMetrics
public import Foundation
public import Kafka
public import Logging
public import ProviderClient
public import ServiceLifecycle
import Synchronization
public import Topics
import WorkerRuntime

/// Batch jobs over Kafka for one process — a gateway, a `provider-agents batch runner`, or the
/// `batch` command line: the stored files, the jobs, and (when asked) a batch runner in the
/// runners' group. One producer for all of it.
public final class BatchService: Sendable {
    let files: FileStore
    let batches: BatchStore
    private let producer: KafkaProducer
    private let runner: KafkaWorker<BatchRunner>?
    private let connectTimeout: Duration
    /// Seconds a new job may run before it expires (OpenAI's 24 hours unless set).
    private let window: Int

    /// - Parameters:
    ///   - instanceID: names this process's readers and its runner.
    ///   - client: where the runner sends each line (the router, or a provider); `nil`: no runner.
    public init(
        kafka: KafkaConfiguration, topics: TopicNames, instanceID: String, client: ProviderClient?,
        requestTimeout: Duration, connectTimeout: Duration, window: Int = BatchJob.window, logger: Logger,
        metrics: any MetricsFactory = MetricsSystem.factory
    ) throws {
        self.window = window
        let clients = WorkerKafkaClients(
            bootstrapServers: kafka.bootstrapServers, clientID: "provider-agents-batch-\(instanceID)",
            properties: kafka.properties, latency: .balanced)
        func reader(_ purpose: String) -> KafkaConsumerConfiguration {
            clients.reader(purpose: purpose, groupID: "batch-\(instanceID)-\(purpose)")
        }
        func follower(_ topic: String, _ purpose: String) -> TopicFollower {
            TopicFollower(
                topic: topic,
                configuration: clients.follower(purpose: purpose, groupID: "batch-\(instanceID)-\(purpose)"),
                connectTimeout: connectTimeout, logger: logger)
        }
        let producer = try KafkaProducer(configuration: clients.producer, logger: logger)
        self.producer = producer
        self.connectTimeout = connectTimeout
        files = FileStore(
            topics: topics, producer: producer, follower: follower(topics.batchFiles, "files"),
            readerConfiguration: reader("file-content"), logger: logger)
        batches = BatchStore(
            topics: topics, producer: producer, follower: follower(topics.batchJobs, "jobs"),
            readerConfiguration: reader("results"), logger: logger)
        guard let client else {
            runner = nil
            return
        }
        // Jobs arrive rarely: the runners' group fetches at a follower's wait.
        var consumer = clients.groupConsumer(
            groupID: topics.prefix + "llm-batch-runner", sessionTimeout: .seconds(10), pollBatchSize: 16)
        consumer.fetchMaxWait = WorkerKafkaClients.followerFetchWait
        runner = try KafkaWorker(
            configuration: WorkerConfiguration(
                name: "batch-runner/\(instanceID)",
                consumer: consumer,
                producer: clients.producer, reader: reader("runner"), inputs: [topics.batchWork],
                deadLetterTopic: topics.deadLetters, maxInFlight: 64, connectTimeout: connectTimeout),
            handler: BatchRunner(
                files: files, store: batches, client: client, logger: logger, requestTimeout: requestTimeout),
            logger: logger, metrics: metrics)
    }

    /// Whether its runner holds partitions of `llm.batch.work` (`false` without a runner).
    public var runnerAssigned: Bool { !(runner?.context.ownedPartitions.isEmpty ?? true) }

    /// Reads the files and jobs written so far.
    public func load() async throws(KafkaError) {
        let timeout = max(connectTimeout, .seconds(30))
        try await files.load(timeout: timeout)
        try await batches.load(timeout: timeout)
    }

    /// What runs beside the process's own work until it is cancelled: following the files and
    /// jobs, and the runner.
    public var companions: [@Sendable () async throws -> Void] {
        var tasks: [@Sendable () async throws -> Void] = [
            { await self.files.follow() }, { await self.batches.follow() },
        ]
        if let runner { tasks.append { try await runner.run() } }
        return tasks
    }

    /// Follows the files and jobs (as runners write them) until cancelled.
    public func follow() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.files.follow() }
            group.addTask { await self.batches.follow() }
        }
    }

    /// Runs the runner until a graceful stop (its jobs handed on) or cancellation.
    func runRunner() async throws {
        try await runner?.run()
    }

    // MARK: Files and jobs

    /// The file `id`, as far as this process knows, if `requester` may see it (``BatchAccess``).
    public func file(_ id: String, for requester: String? = nil) -> BatchFile? {
        files.file(id).flatMap { BatchAccess.allows(owner: $0.owner, requester: requester) ? $0 : nil }
    }

    /// Every file `requester` may see, newest first.
    public func files(for requester: String? = nil) -> [BatchFile] {
        files.all.filter { BatchAccess.allows(owner: $0.owner, requester: requester) }
    }

    /// Stores `bytes` as a batch input file owned by `owner`.
    public func upload(_ bytes: Data, filename: String, owner: String? = nil) async throws(GatewayError) -> BatchFile {
        do {
            return try await files.store(bytes, filename: filename, purpose: "batch", owner: owner)
        } catch {
            throw .unavailable("the file could not be stored: \(error)")
        }
    }

    /// The bytes of the file `id`.
    public func content(of id: String, for requester: String? = nil) async throws(GatewayError) -> Data {
        guard let file = file(id, for: requester) else {
            throw .notFound("No such file: '\(id)'", code: "file_not_found", param: "file_id")
        }
        do {
            return try await files.content(of: file)
        } catch {
            throw .unavailable("file '\(id)' could not be read: \(error)")
        }
    }

    /// The job `id`, as far as this process knows, if `requester` may see it.
    public func job(_ id: String, for requester: String? = nil) -> BatchJob? {
        batches.job(id).flatMap { BatchAccess.allows(owner: $0.owner, requester: requester) ? $0 : nil }
    }

    /// Every job `requester` may see, newest first.
    public func jobs(for requester: String? = nil) -> [BatchJob] {
        batches.all.filter { BatchAccess.allows(owner: $0.owner, requester: requester) }
    }

    /// A new job over the input file `inputFileID`, written (`validating`) and handed to the
    /// runners.
    public func create(
        inputFileID: String, endpoint: String = "/v1/chat/completions", completionWindow: String = "24h",
        metadata: [String: String]? = nil, owner: String? = nil
    ) async throws(GatewayError) -> BatchJob {
        guard file(inputFileID, for: owner) != nil else {
            throw .notFound("No such file: '\(inputFileID)'", code: "file_not_found", param: "input_file_id")
        }
        guard BatchInput.urls.contains(endpoint) else {
            throw .invalid(
                "endpoint must be one of \(BatchInput.urls.sorted().joined(separator: ", ")), got '\(endpoint)'",
                param: "endpoint")
        }
        guard completionWindow == "24h" else {
            throw .invalid("completion_window must be '24h', got '\(completionWindow)'", param: "completion_window")
        }
        let id = "batch_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))"
        let job = BatchJob(
            id: id, inputFileID: inputFileID, endpoint: endpoint, completionWindow: completionWindow,
            createdAt: Int(Date().timeIntervalSince1970), window: window, metadata: metadata, owner: owner)
        do {
            try await batches.save(job)
            try await batches.submit(.run(job))
        } catch {
            throw .unavailable("the batch could not be stored: \(error)")
        }
        return job
    }

    /// Asks the runner running job `id` to stop; the job as it will read (`cancelling`).
    public func cancel(_ id: String, for requester: String? = nil) async throws(GatewayError) -> BatchJob {
        guard var job = job(id, for: requester) else {
            throw .notFound("No such batch: '\(id)'", code: "batch_not_found", param: "batch_id")
        }
        do {
            try job.cancel(at: Int(Date().timeIntervalSince1970))
        } catch {
            throw .invalid("Cannot cancel a batch with status \(job.status.rawValue)")
        }
        do {
            try await batches.submit(.cancel(id))
        } catch {
            throw .unavailable("the cancel could not be handed to the runners: \(error)")
        }
        return job
    }

    /// Flushes and closes the producer.
    public func close() async {
        await producer.close(timeout: .seconds(5))
    }
}

/// `provider-agents batch runner`: a batch runner without HTTP — its own provider client (reply
/// topic `llm.replies.<instance id>`) and the jobs of its share of `llm.batch.work`.
public final class BatchRunnerService: Service, Sendable {
    private let client: ProviderClient
    private let service: BatchService

    public init(
        kafka: KafkaConfiguration, topics: TopicNames, instanceID: String, requestTimeout: Duration,
        connectTimeout: Duration, logger: Logger, metrics: any MetricsFactory = MetricsSystem.factory
    ) throws {
        var configuration = ProviderClientConfiguration(
            common: kafka, clientID: instanceID, topicPrefix: topics.prefix)
        configuration.common.clientID = "provider-agents-batch-runner-\(instanceID)"
        configuration.connectTimeout = connectTimeout
        configuration.defaultTimeout = requestTimeout
        client = try ProviderClient(configuration: configuration, logger: logger)
        service = try BatchService(
            kafka: kafka, topics: topics, instanceID: instanceID, client: client, requestTimeout: requestTimeout,
            connectTimeout: connectTimeout, logger: logger, metrics: metrics)
    }

    /// Whether it holds partitions of `llm.batch.work` (what `/ready` answers).
    public var ready: Bool { service.runnerAssigned }

    public func run() async throws {
        try await client.start()
        do {
            try await service.load()
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { try await self.client.run() }
                group.addTask { await self.service.follow() }
                try await service.runRunner()
                group.cancelAll()
            }
        } catch {
            await service.close()
            await client.shutdown()
            throw error
        }
        await service.close()
        await client.shutdown()
    }
}
