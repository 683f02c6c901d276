internal import CRdKafka
import Common
public import Logging
public import ServiceLifecycle
import Synchronization

/// An idempotent Kafka producer.
///
/// - ``send(_:)`` returns once the broker acknowledged the message (about one broker round
///   trip), or throws a ``KafkaError``; it completes within the configured delivery timeout.
/// - ``enqueue(_:)`` is the high-volume path: it returns once librdkafka accepted the message,
///   and its outcome arrives later on ``deliveryReports``. Callers using it must read that stream.
/// - ``produce(_:onDelivery:)`` hands the outcome to a closure on the thread serving delivery
///   reports (the producer's poll thread, or one in `flush`/`close`), with no task and no
///   continuation per message: the path of the worker runtime.
///
/// Both wait (without blocking a thread) while the local queue is full. A dedicated thread polls
/// librdkafka, so delivery reports are handled as soon as they arrive. As a `Service`, the
/// producer flushes and closes on graceful shutdown; place it first in a `ServiceGroup` so that
/// it shuts down last.
public final class KafkaProducer: Service, Sendable {
    private let client: RdKafkaClient
    private let configuration: KafkaProducerConfiguration
    private let logger: Logger
    private let poller: PollThread
    private let space: QueueSpace
    private let executor: BlockingExecutor
    private let nextID = Atomic<UInt64>(1)
    /// `closed` flips under the lock, and every produce call holds it, so no message can slip in
    /// after the final flush.
    private let state = Mutex<Bool>(false)
    private let reports: BatchQueue<KafkaDeliveryReport>

    /// Outcomes of messages produced with ``enqueue(_:)``, in the order librdkafka reports them.
    /// Read it from one long-lived task: cancelling a task that waits on it ends the sequence,
    /// and later reports are then dropped.
    public var deliveryReports: KafkaDeliveryReports { KafkaDeliveryReports(queue: reports) }

    public init(configuration: KafkaProducerConfiguration, logger: Logger = Logger(label: "kafka.producer"))
        throws(KafkaError)
    {
        self.configuration = configuration
        self.logger = logger
        let reports = BatchQueue<KafkaDeliveryReport>()
        self.reports = reports
        let space = QueueSpace()
        self.space = space
        let topics = TopicNameCache()
        let callbacks = RdKafkaCallbacks(
            logger: logger,
            onDelivery: { message in
                Self.handleDelivery(message, topics: topics, reports: reports)
            }
        )
        client = try RdKafkaClient(kind: .producer, properties: configuration.rdKafkaProperties(), callbacks: callbacks)
        executor = BlockingExecutor(label: "kafka.producer.blocking")
        let client = client
        poller = PollThread(name: "kafka-producer-poll") {
            let served = rd_kafka_poll(client.pointer, 100)
            if served > 0 { space.signal() }
        }
    }

    deinit {
        poller.stop()
        reports.finish()
    }

    // MARK: Sending

    /// What a delivery closure receives: where the message was written, or why it was not.
    public typealias DeliveryHandler = @Sendable (Result<KafkaDeliveryReceipt, KafkaError>) -> Void

    /// Produces `message`; `onDelivery` runs once with its outcome, on the thread serving delivery
    /// reports: the poll thread, or a caller of `flush`/`close` (keep it short and never block in
    /// it: store an offset, produce the next message, resume a waiter). Returns `nil` when
    /// librdkafka accepted the message, else the error, and then `onDelivery` is never called:
    /// ``KafkaError/Code/queueFull`` (wait with ``waitForQueueSpace(after:)`` and try again) or a
    /// permanent error.
    public func produce(_ message: KafkaProducerMessage, onDelivery: @escaping DeliveryHandler) -> KafkaError? {
        let box = Unmanaged.passRetained(DeliveryCallback(onDelivery))
        guard let error = produce(message, opaque: box.toOpaque()) else { return nil }
        box.release()
        return error
    }

    /// A counter that changes whenever delivery reports free room in the local queue: read it
    /// before a ``produce(_:onDelivery:)`` that may find the queue full, then pass it to
    /// ``waitForQueueSpace(after:)``.
    public var queueSpaceGeneration: UInt64 { space.generation }

    /// Waits (without blocking a thread) until delivery reports freed room since `generation`,
    /// or the producer closed.
    public func waitForQueueSpace(after generation: UInt64) async {
        await space.wait(after: generation)
    }

    /// Produces `message` and waits for the broker's acknowledgement.
    @discardableResult
    public func send(_ message: KafkaProducerMessage) async throws(KafkaError) -> KafkaDeliveryReceipt {
        while true {
            let generation = space.generation
            let outcome = await withCheckedContinuation { (continuation: CheckedContinuation<SendOutcome, Never>) in
                let failure = produce(message) { result in
                    switch result {
                    case .success(let receipt): continuation.resume(returning: .delivered(receipt))
                    case .failure(let error): continuation.resume(returning: .failed(error))
                    }
                }
                if let failure {
                    continuation.resume(returning: failure.code == .queueFull ? .queueFull : .failed(failure))
                }
            }
            switch outcome {
            case .delivered(let receipt): return receipt
            case .failed(let error): throw error
            case .queueFull: await space.wait(after: generation)
            }
        }
    }

    /// Produces `message` without waiting for the acknowledgement; its outcome is published on
    /// ``deliveryReports`` under the returned id.
    @discardableResult
    public func enqueue(_ message: KafkaProducerMessage) async throws(KafkaError) -> KafkaMessageID {
        let id = KafkaMessageID(rawValue: nextID.wrappingAdd(1, ordering: .relaxed).oldValue)
        // Odd values mark enqueued messages; awaited sends pass (even, aligned) object pointers.
        let tag = UnsafeMutableRawPointer(bitPattern: UInt(id.rawValue << 1 | 1))
        while true {
            let generation = space.generation
            guard let error = produce(message, opaque: tag) else { return id }
            guard error.code == .queueFull else { throw error }
            await space.wait(after: generation)
        }
    }

    /// Messages handed to librdkafka and not yet acknowledged or failed.
    public var pendingCount: Int { Int(rd_kafka_outq_len(client.pointer)) }

    /// Waits until every pending message is acknowledged or failed.
    public func flush(timeout: Duration) async throws(KafkaError) {
        let client = client
        try await executor.run { () throws(KafkaError) in
            let code = rd_kafka_flush(client.pointer, Int32(clamping: timeout.milliseconds))
            if code != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError(
                    rdKafka: code,
                    context: "flush of \(rd_kafka_outq_len(client.pointer)) pending message(s) within \(timeout)")
            }
        }
    }

    /// Cluster metadata; throws ``KafkaError/Code/brokerUnreachable`` when no broker answers in time.
    public func metadata(timeout: Duration = .seconds(10)) async throws(KafkaError) -> KafkaClusterMetadata {
        try await client.metadata(timeout: timeout, servers: configuration.common.bootstrapServers, on: executor)
    }

    /// Stops accepting messages, flushes what is pending (up to `timeout`), fails whatever is left
    /// with ``KafkaError/Code/closed``, and stops polling. Idempotent.
    public func close(timeout: Duration = .seconds(30)) async {
        let alreadyClosed = state.withLock { closed in
            defer { closed = true }
            return closed
        }
        guard !alreadyClosed else { return }
        let client = client
        let remaining = await executor.run { () -> Int32 in
            _ = rd_kafka_flush(client.pointer, Int32(clamping: timeout.milliseconds))
            let left = rd_kafka_outq_len(client.pointer)
            if left > 0 {
                // Fail what could not be delivered so that no awaiting caller hangs.
                _ = rd_kafka_purge(client.pointer, Int32(RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT))
                _ = rd_kafka_flush(client.pointer, 1000)
            }
            return left
        }
        if remaining > 0 {
            logger.info("producer closed with undelivered messages", metadata: [LogKey.undelivered: "\(remaining)"])
        }
        await poller.stopAndWait()
        space.finish()
        reports.finish()
    }

    public func run() async throws {
        try? await gracefulShutdown()
        await close()
    }

    // MARK: librdkafka glue

    private enum SendOutcome: Sendable {
        case delivered(KafkaDeliveryReceipt)
        case failed(KafkaError)
        case queueFull
    }

    /// Holds a message's delivery closure until its delivery report arrives.
    private final class DeliveryCallback: Sendable {
        let handler: DeliveryHandler
        init(_ handler: @escaping DeliveryHandler) { self.handler = handler }
    }

    /// Hands `message` to librdkafka; `nil` when accepted.
    private func produce(_ message: KafkaProducerMessage, opaque: UnsafeMutableRawPointer?) -> KafkaError? {
        state.withLock { closed -> KafkaError? in
            if closed { return .closed("producer") }
            return Self.produceUnlocked(client.pointer, message, opaque: opaque)
        }
    }

    private static func produceUnlocked(
        _ handle: OpaquePointer, _ message: KafkaProducerMessage, opaque: UnsafeMutableRawPointer?
    ) -> KafkaError? {
        var headers: OpaquePointer? = nil
        if !message.headers.isEmpty {
            headers = rd_kafka_headers_new(message.headers.count)
            for header in message.headers {
                if let value = header.value {
                    _ = value.withUnsafeBytes { rd_kafka_header_add(headers, header.key, -1, $0.baseAddress, $0.count) }
                } else {
                    _ = rd_kafka_header_add(headers, header.key, -1, nil, 0)
                }
            }
        }
        let error: OpaquePointer? = message.topic.withCString { topic in
            message.value.withUnsafeBytes { value in
                withOptionalBytes(message.key) { key in
                    // At most 8 fields; on the stack, no allocation per message.
                    withUnsafeTemporaryAllocation(of: rd_kafka_vu_t.self, capacity: 8) { fields in
                        var count = 0
                        func append(_ type: rd_kafka_vtype_t, _ fill: (inout rd_kafka_vu_t) -> Void) {
                            fields[count] = rd_kafka_vu_t()
                            fields[count].vtype = type
                            fill(&fields[count])
                            count += 1
                        }
                        append(RD_KAFKA_VTYPE_TOPIC) { $0.u.cstr = topic }
                        append(RD_KAFKA_VTYPE_PARTITION) { $0.u.i32 = message.partition ?? RD_KAFKA_PARTITION_UA }
                        append(RD_KAFKA_VTYPE_MSGFLAGS) { $0.u.i = RD_KAFKA_MSG_F_COPY }
                        append(RD_KAFKA_VTYPE_VALUE) {
                            $0.u.mem.ptr = UnsafeMutableRawPointer(mutating: value.baseAddress)
                            $0.u.mem.size = value.count
                        }
                        if let key {
                            append(RD_KAFKA_VTYPE_KEY) {
                                $0.u.mem.ptr = UnsafeMutableRawPointer(mutating: key.baseAddress)
                                $0.u.mem.size = key.count
                            }
                        }
                        if let opaque { append(RD_KAFKA_VTYPE_OPAQUE) { $0.u.ptr = opaque } }
                        if let headers { append(RD_KAFKA_VTYPE_HEADERS) { $0.u.headers = headers } }
                        if let timestamp = message.timestampMilliseconds {
                            append(RD_KAFKA_VTYPE_TIMESTAMP) { $0.u.i64 = timestamp }
                        }
                        return rd_kafka_produceva(handle, fields.baseAddress, count)
                    }
                }
            }
        }
        guard let error else { return nil }  // accepted; librdkafka owns the headers now
        if let headers { rd_kafka_headers_destroy(headers) }
        return KafkaError(consuming: error, context: "produce to topic '\(message.topic)'")
    }

    /// Runs for every delivery report, on the thread serving it (see ``TopicNameCache``).
    private static func handleDelivery(
        _ message: UnsafePointer<rd_kafka_message_t>,
        topics: TopicNameCache,
        reports: BatchQueue<KafkaDeliveryReport>
    ) {
        let raw = message.pointee
        let topic = raw.rkt.map { topics.name(of: $0) } ?? ""
        let result: Result<KafkaDeliveryReceipt, KafkaError> =
            raw.err == RD_KAFKA_RESP_ERR_NO_ERROR
            ? .success(KafkaDeliveryReceipt(topic: topic, partition: raw.partition, offset: raw.offset))
            : .failure(KafkaError(rdKafka: raw.err, context: "delivery to topic '\(topic)'"))
        guard let opaque = raw._private else { return }
        let bits = UInt(bitPattern: opaque)
        if bits & 1 == 1 {
            reports.append(KafkaDeliveryReport(id: KafkaMessageID(rawValue: UInt64(bits >> 1)), result: result))
        } else {
            Unmanaged<DeliveryCallback>.fromOpaque(opaque).takeRetainedValue().handler(result)
        }
    }
}

/// Topic names by librdkafka topic handle, for delivery reports: a report names its topic by
/// handle, and making a `String` of it for every message costs an allocation.
///
/// Reports are served by whichever thread polls the handle: the producer's poll thread, and also a
/// thread in `rd_kafka_flush` (`flush`, `close`). So the map is behind a mutex; the handles live
/// as long as the producer.
private final class TopicNameCache: Sendable {
    /// Keyed by the handle's address.
    private let names = Mutex<[UInt: String]>([:])

    func name(of topic: OpaquePointer) -> String {
        let key = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(topic)))
        if let known = names.withLock({ $0[key] }) { return known }
        let name = String(cString: rd_kafka_topic_name(topic))
        names.withLock { $0[key] = name }
        return name
    }
}

private func withOptionalBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
    guard let bytes else { return body(nil) }
    return bytes.withUnsafeBytes { body($0) }
}
