internal import CRdKafka
import Common
public import Logging
public import ServiceLifecycle
import Synchronization

/// A Kafka group consumer with cooperative-sticky assignment and caller-controlled offsets.
///
/// Read ``messages`` (an `AsyncSequence`); call ``storeOffset(for:)`` once a message is finished.
/// Stored offsets are committed in the background (every ``KafkaConsumerConfiguration/commitInterval``),
/// on revocation, on ``commit()`` and on ``close()``; what was not stored is delivered again after a
/// restart or to the partition's next owner. Assignment changes arrive on ``rebalanceEvents``.
///
/// Polling happens on a dedicated queue, in batches, only while someone awaits the next message:
/// a slow reader applies backpressure instead of buffering without bound. Keep reading (pause
/// partitions rather than stop reading) so that rebalances are served. Call ``close()`` (or run
/// the consumer as a `Service`): a consumer dropped without it leaves the group synchronously in
/// `deinit`.
public final class KafkaConsumer: Service, Sendable {
    let client: RdKafkaClient
    private let queue: RdKafkaQueue
    private let configuration: KafkaConsumerConfiguration
    let logger: Logger
    private let pollExecutor: BlockingExecutor
    let blockingExecutor: BlockingExecutor
    /// The owned partitions and the epoch each was assigned in: set on the polling thread by
    /// rebalances (before the messages of a new assignment are handed out), read anywhere.
    private let assignmentState: LockedValue<KafkaAssignment>
    private let closed = Atomic<Bool>(false)
    /// Partitions revoked or lost by a rebalance served inside the current poll batch: their
    /// messages already in the batch are dropped, never handed out after the revocation.
    private let revokedDuringPoll: RevokedPartitions
    private let eventsContinuation: AsyncStream<KafkaRebalanceEvent>.Continuation

    /// Assignment changes, in order. Unbounded (rebalances are rare); read it or ignore it.
    public let rebalanceEvents: AsyncStream<KafkaRebalanceEvent>

    /// - Parameter onRebalance: called synchronously on the polling thread for every assignment
    ///   change, before any message of a newly assigned partition is handed out and after the
    ///   last message of a revoked one. Revocations (and losses) are reported while the
    ///   partitions are still assigned: the hook may finish work of a revoked partition and store
    ///   its offsets, which are committed as the partitions are given up. The rebalance waits
    ///   for the hook, so keep it bounded (well below `max.poll.interval.ms`).
    public init(
        configuration: KafkaConsumerConfiguration,
        logger: Logger = Logger(label: "kafka.consumer"),
        onRebalance: (@Sendable (KafkaRebalanceEvent) -> Void)? = nil
    ) throws(KafkaError) {
        guard configuration.pollBatchSize > 0 else {
            throw KafkaError(
                code: .invalidConfiguration,
                message: "pollBatchSize must be positive, got \(configuration.pollBatchSize)")
        }
        self.configuration = configuration
        self.logger = logger
        let (events, continuation) = AsyncStream<KafkaRebalanceEvent>.makeStream()
        self.rebalanceEvents = events
        self.eventsContinuation = continuation
        let assignment = LockedValue(KafkaAssignment())
        self.assignmentState = assignment
        let revokedDuringPoll = RevokedPartitions()
        self.revokedDuringPoll = revokedDuringPoll
        let callbacks = RdKafkaCallbacks(
            logger: logger,
            onRebalance: { handle, code, partitions in
                let event = Self.rebalance(
                    handle, code, partitions, logger: logger, beforeRevoking: { onRebalance?($0) })
                assignment.withLock { owned in
                    switch event {
                    case .assigned(let added): owned.add(added)
                    case .revoked(let removed), .lost(let removed): owned.remove(removed)
                    }
                }
                if case .revoked(let removed) = event { revokedDuringPoll.add(removed) }
                if case .lost(let removed) = event { revokedDuringPoll.add(removed) }
                if case .assigned = event { onRebalance?(event) }
                continuation.yield(event)
            }
        )
        client = try RdKafkaClient(kind: .consumer, properties: configuration.rdKafkaProperties(), callbacks: callbacks)
        rd_kafka_poll_set_consumer(client.pointer)
        queue = RdKafkaQueue(consumerOf: client)
        pollExecutor = BlockingExecutor(label: "kafka.consumer.poll")
        blockingExecutor = BlockingExecutor(label: "kafka.consumer.blocking")
    }

    deinit {
        eventsContinuation.finish()
    }

    // MARK: Subscription and assignment

    /// Joins the group for `topics`; partitions arrive through rebalances.
    public func subscribe(topics: [String]) throws(KafkaError) {
        guard !topics.isEmpty, topics.allSatisfy({ !$0.isEmpty }) else {
            throw .invalidArgument("subscribe needs at least one non-empty topic name, got \(topics)")
        }
        let list = RdKafkaTopicPartitionList(capacity: topics.count)
        for topic in topics { list.add(TopicPartition(topic: topic, partition: RD_KAFKA_PARTITION_UA)) }
        let code = rd_kafka_subscribe(client.pointer, list.pointer)
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(rdKafka: code, context: "subscribe to \(topics)")
        }
    }

    /// Reads exactly these partitions without group rebalancing, from the given offsets
    /// (`nil`: the committed offset, else ``KafkaConsumerConfiguration/offsetReset``).
    public func assign(_ partitions: [TopicPartition: Int64?]) throws(KafkaError) {
        let list = RdKafkaTopicPartitionList(capacity: partitions.count)
        for (entry, offset) in partitions { list.add(entry, offset: offset ?? Int64(RD_KAFKA_OFFSET_INVALID)) }
        if let error = rd_kafka_assign(client.pointer, list.pointer).nonZero {
            throw KafkaError(
                rdKafka: error, context: "assign \(partitions.keys.sorted { $0.description < $1.description })")
        }
        assignmentState.withLock { $0.replace(with: Set(partitions.keys)) }
    }

    /// The partitions this member currently owns.
    public var assignment: Set<TopicPartition> { assignmentState.withLock { $0.partitions } }

    /// Whether `message` still belongs to this member's assignment: its partition is assigned
    /// and was not assigned again since the message was fetched. A partition that moved away and
    /// came back is read again from its committed offset, so what was fetched before is stale:
    /// handle it and it is handled twice. Read ``messages`` ahead of the work (a batch, a
    /// backpressure wait) and check this when the work starts.
    public func isCurrent(_ message: KafkaConsumerMessage) -> Bool {
        assignmentState.withLock { $0.isCurrent(message.topicPartition, fetchEpoch: message.fetchEpoch) }
    }

    // MARK: Messages

    /// The messages of the assigned partitions. Ends when the consumer is closed; throws when the
    /// subscription cannot be served (unknown topic, authorization, fatal error).
    public var messages: KafkaConsumerMessages { KafkaConsumerMessages(consumer: self) }

    /// One batch from the dedicated polling queue: up to `pollBatchSize` messages, waiting at most
    /// ~100 ms for the first. `nil` once closed.
    public func pollBatch() async throws(KafkaError) -> [KafkaConsumerMessage]? {
        let queue = queue
        let result = await withTaskCancellationHandler {
            await pollExecutor.run { () -> Result<[KafkaConsumerMessage]?, KafkaError> in
                if self.closed.load(ordering: .acquiring) { return .success(nil) }
                return Result { () throws(KafkaError) in
                    try Self.poll(
                        self.client.pointer, batchSize: self.configuration.pollBatchSize,
                        revoked: self.revokedDuringPoll,
                        assignment: self.assignmentState, logger: self.logger
                    )
                }
            }
        } onCancel: {
            queue.wake()
        }
        return try result.get()
    }

    /// Ends a poll that is waiting for the first message of its batch (it returns what it has,
    /// maybe nothing): for a reader that must look at something else without waiting ~100 ms.
    public func wake() {
        queue.wake()
    }

    private static func poll(
        _ handle: OpaquePointer, batchSize: Int, revoked: RevokedPartitions, assignment: LockedValue<KafkaAssignment>,
        logger: Logger
    ) throws(KafkaError) -> [KafkaConsumerMessage] {
        var batch: [KafkaConsumerMessage] = []
        var timeout: Int32 = 100
        var topicNames: [OpaquePointer: String] = [:]
        // A rebalance may be served inside any rd_kafka_consumer_poll call of this batch.
        defer { revoked.drop(from: &batch) }
        while batch.count < batchSize, let raw = rd_kafka_consumer_poll(handle, timeout) {
            timeout = 0
            revoked.drop(from: &batch)
            defer { rd_kafka_message_destroy(raw) }
            let message = raw.pointee
            if message.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                if message.err == RD_KAFKA_RESP_ERR__PARTITION_EOF { continue }
                let detail = rd_kafka_message_errstr(raw).map { String(cString: $0) }
                let error = KafkaError(rdKafka: message.err, context: "consume", detail: detail)
                switch error.code {
                case .unknownTopic, .notAuthorized, .fatal:
                    throw error
                default:
                    logger.warning("consumer error", metadata: [LogKey.error: .string(error.description)])
                    continue
                }
            }
            let topic: String
            if let rkt = message.rkt {
                if let known = topicNames[rkt] {
                    topic = known
                } else {
                    topic = String(cString: rd_kafka_topic_name(rkt))
                    topicNames[rkt] = topic
                }
            } else {
                topic = ""
            }
            var consumed = KafkaConsumerMessage(raw, topic: topic)
            // Rebalances are served inside rd_kafka_consumer_poll on this thread: the epoch read
            // now is the one the message was fetched in.
            consumed.fetchEpoch = assignment.withLock { $0.epoch }
            batch.append(consumed)
        }
        return batch
    }

    // MARK: Offsets

    /// Marks `message` as finished: its offset + 1 is committed with the next commit.
    public func storeOffset(for message: KafkaConsumerMessage) throws(KafkaError) {
        try storeOffsets([message.topicPartition: message.offset + 1])
    }

    /// Stores the next offsets to read (last finished offset + 1) per partition. Throws
    /// ``KafkaError/Code/partitionNotAssigned`` for partitions this member no longer owns.
    public func storeOffsets(_ nextOffsets: [TopicPartition: Int64]) throws(KafkaError) {
        let list = RdKafkaTopicPartitionList(offsets: nextOffsets)
        let code = rd_kafka_offsets_store(client.pointer, list.pointer)
        let failed = list.entries.filter { $0.error != RD_KAFKA_RESP_ERR_NO_ERROR }
        if let first = failed.first {
            throw KafkaError(
                rdKafka: first.error, context: "store offset for \(failed.map(\.0.description).joined(separator: ", "))"
            )
        }
        if code != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(rdKafka: code, context: "store offsets")
        }
    }

    /// Commits the stored offsets now and waits for the broker's answer.
    public func commit() async throws(KafkaError) {
        let client = client
        try await blockingExecutor.run { () throws(KafkaError) in
            let code = rd_kafka_commit(client.pointer, nil, 0)
            if code != RD_KAFKA_RESP_ERR_NO_ERROR, code != RD_KAFKA_RESP_ERR__NO_OFFSET {
                throw KafkaError(rdKafka: code, context: "commit")
            }
        }
    }

    /// The group's committed offsets (next offset to read) for `partitions`; absent when none.
    public func committed(_ partitions: [TopicPartition], timeout: Duration = .seconds(10)) async throws(KafkaError)
        -> [TopicPartition: Int64]
    {
        let client = client
        return try await blockingExecutor.run { () throws(KafkaError) -> [TopicPartition: Int64] in
            let list = RdKafkaTopicPartitionList(partitions)
            let code = rd_kafka_committed(client.pointer, list.pointer, Int32(clamping: timeout.milliseconds))
            guard code == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw KafkaError(rdKafka: code, context: "fetch committed offsets")
            }
            var result: [TopicPartition: Int64] = [:]
            for (entry, offset, _) in list.entries where offset >= 0 { result[entry] = offset }
            return result
        }
    }

    // MARK: Flow control and progress

    /// Stops fetching from `partitions` until ``resume(_:)``; the membership stays alive.
    public func pause(_ partitions: Set<TopicPartition>) throws(KafkaError) {
        guard !partitions.isEmpty else { return }
        let list = RdKafkaTopicPartitionList(partitions)
        if let error = rd_kafka_pause_partitions(client.pointer, list.pointer).nonZero {
            throw KafkaError(rdKafka: error, context: "pause \(partitions.count) partition(s)")
        }
    }

    public func resume(_ partitions: Set<TopicPartition>) throws(KafkaError) {
        guard !partitions.isEmpty else { return }
        let list = RdKafkaTopicPartitionList(partitions)
        if let error = rd_kafka_resume_partitions(client.pointer, list.pointer).nonZero {
            throw KafkaError(rdKafka: error, context: "resume \(partitions.count) partition(s)")
        }
    }

    /// The next offset this consumer will fetch from `partition`, when known.
    public func position(_ partition: TopicPartition) -> Int64? {
        let list = RdKafkaTopicPartitionList([partition])
        guard rd_kafka_position(client.pointer, list.pointer) == RD_KAFKA_RESP_ERR_NO_ERROR,
            let offset = list.entries.first?.offset, offset >= 0
        else { return nil }
        return offset
    }

    /// Messages in `partition` after this consumer's position, from the last fetched high
    /// watermark (no broker round trip); `nil` until both are known.
    public func lag(_ partition: TopicPartition) -> Int64? {
        guard let position = position(partition) else { return nil }
        var low: Int64 = -1
        var high: Int64 = -1
        let code = rd_kafka_get_watermark_offsets(client.pointer, partition.topic, partition.partition, &low, &high)
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR, high >= 0 else { return nil }
        return max(0, high - position)
    }

    /// Cluster metadata; throws ``KafkaError/Code/brokerUnreachable`` when no broker answers in time.
    public func metadata(timeout: Duration = .seconds(10)) async throws(KafkaError) -> KafkaClusterMetadata {
        try await client.metadata(
            timeout: timeout, servers: configuration.common.bootstrapServers, on: blockingExecutor)
    }

    // MARK: Lifecycle

    /// Leaves the group: the final revocation is served, stored offsets are committed, and
    /// ``messages`` ends. Idempotent.
    public func close() async throws(KafkaError) {
        try await pollExecutor.run { () throws(KafkaError) in
            guard !self.closed.load(ordering: .acquiring) else { return }
            let code = rd_kafka_consumer_close(self.client.pointer)
            self.closed.store(true, ordering: .releasing)
            self.client.markConsumerClosed()
            if code != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError(rdKafka: code, context: "close consumer")
            }
        }
        eventsContinuation.finish()
    }

    public func run() async throws {
        try? await gracefulShutdown()
        try await close()
    }

    // MARK: Rebalance

    private static func rebalance(
        _ handle: OpaquePointer, _ code: rd_kafka_resp_err_t,
        _ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>, logger: Logger,
        beforeRevoking: (KafkaRebalanceEvent) -> Void
    ) -> KafkaRebalanceEvent {
        let partitions = RdKafkaTopicPartitionList.partitions(of: list)
        let cooperative = String(cString: rd_kafka_rebalance_protocol(handle)) == "COOPERATIVE"
        let event: KafkaRebalanceEvent
        var failure: OpaquePointer?
        switch code {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            event = .assigned(partitions)
            if cooperative {
                failure = rd_kafka_incremental_assign(handle, list)
            } else {
                _ = rd_kafka_assign(handle, list)
            }
        default:
            let lost = rd_kafka_assignment_lost(handle) != 0 || code != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS
            event = lost ? .lost(partitions) : .revoked(partitions)
            beforeRevoking(event)
            if cooperative {
                failure = rd_kafka_incremental_unassign(handle, list)
            } else {
                _ = rd_kafka_assign(handle, nil)
            }
        }
        if let failure {
            let error = KafkaError(consuming: failure, context: "apply rebalance")
            logger.error("rebalance could not be applied", metadata: [LogKey.error: .string(error.description)])
        }
        logger.info(
            "assignment changed",
            metadata: [
                LogKey.change: .string(event.kind),
                LogKey.partitions: "\(event.partitions.map(\.description).sorted())",
            ]
        )
        return event
    }
}

extension rd_kafka_resp_err_t {
    /// `nil` for `NO_ERROR`.
    var nonZero: rd_kafka_resp_err_t? { self == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : self }
}
