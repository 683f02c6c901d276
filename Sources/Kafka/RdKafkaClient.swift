internal import CRdKafka
import Logging
import Synchronization

/// Owns one `rd_kafka_t` handle: created in `init`, destroyed in `deinit`.
///
/// Sendable: librdkafka handles are thread-safe; the pointer and callbacks never change.
final class RdKafkaClient: @unchecked Sendable {
    enum Kind {
        case producer, consumer

        var rdKafkaType: rd_kafka_type_t {
            switch self {
            case .producer: RD_KAFKA_PRODUCER
            case .consumer: RD_KAFKA_CONSUMER
            }
        }
    }

    let pointer: OpaquePointer
    let callbacks: RdKafkaCallbacks
    private let retainedCallbacks: Unmanaged<RdKafkaCallbacks>
    /// Set when the consumer was closed explicitly, so `deinit` need not close it again.
    private let consumerClosed = Atomic<Bool>(false)

    init(
        kind: Kind,
        properties: [String: String],
        callbacks: RdKafkaCallbacks,
        configure: (RdKafkaConfig) throws(KafkaError) -> Void = { _ in }
    ) throws(KafkaError) {
        let config = try RdKafkaConfig(properties: properties)
        try configure(config)
        let retained = Unmanaged.passRetained(callbacks)
        callbacks.register(on: config, opaque: retained.toOpaque())

        var errorText = [CChar](repeating: 0, count: 512)
        let handle = config.withPointer { rd_kafka_new(kind.rdKafkaType, $0, &errorText, errorText.count) }
        guard let handle else {
            retained.release()
            let reason = String(errorBuffer: errorText)
            throw KafkaError(code: .invalidConfiguration, message: "could not create Kafka client: \(reason)")
        }
        config.relinquish()
        self.pointer = handle
        self.callbacks = callbacks
        self.retainedCallbacks = retained
    }

    /// After `rd_kafka_consumer_close` ran: `deinit` destroys without closing again.
    func markConsumerClosed() {
        consumerClosed.store(true, ordering: .releasing)
    }

    deinit {
        if consumerClosed.load(ordering: .acquiring) {
            rd_kafka_destroy_flags(pointer, Int32(RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE))
        } else {
            rd_kafka_destroy(pointer)
        }
        retainedCallbacks.release()
    }

    /// Cluster metadata, fetched on `executor`'s thread; errors name `servers`.
    func metadata(timeout: Duration, servers: String, on executor: BlockingExecutor) async throws(KafkaError)
        -> KafkaClusterMetadata
    {
        try await executor.run { () throws(KafkaError) in
            try self.metadata(timeout: timeout, context: "metadata from \(servers)")
        }
    }

    /// Cluster metadata (blocking; call on a dedicated thread).
    func metadata(timeout: Duration, context: String) throws(KafkaError) -> KafkaClusterMetadata {
        var raw: UnsafePointer<rd_kafka_metadata>?
        let code = rd_kafka_metadata(pointer, 1, nil, &raw, Int32(clamping: timeout.milliseconds))
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR, let raw else {
            if code == RD_KAFKA_RESP_ERR__TRANSPORT || code == RD_KAFKA_RESP_ERR__TIMED_OUT {
                throw KafkaError(
                    code: .brokerUnreachable,
                    message: "\(context): no broker answered within \(timeout)",
                    isRetriable: true,
                    rdKafkaName: String(cString: rd_kafka_err2name(code))
                )
            }
            throw KafkaError(rdKafka: code, context: context)
        }
        defer { rd_kafka_metadata_destroy(raw) }
        return KafkaClusterMetadata(raw.pointee)
    }
}
