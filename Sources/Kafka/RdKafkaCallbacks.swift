internal import CRdKafka
import Common
import Logging

/// What a librdkafka callback needs to reach Swift. librdkafka hands it back as the handle's
/// opaque pointer; the owning ``RdKafkaClient`` keeps it retained until after `rd_kafka_destroy`.
///
/// Sendable: every stored property is immutable and itself Sendable; the closures run on
/// librdkafka's threads (log) or on the thread that polls the handle (everything else).
final class RdKafkaCallbacks: Sendable {
    typealias DeliveryHandler = @Sendable (_ message: UnsafePointer<rd_kafka_message_t>) -> Void
    typealias RebalanceHandler =
        @Sendable (
            _ handle: OpaquePointer, _ code: rd_kafka_resp_err_t,
            _ partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>
        ) -> Void

    let logger: Logger
    let onDelivery: DeliveryHandler?
    let onRebalance: RebalanceHandler?

    init(
        logger: Logger,
        onDelivery: DeliveryHandler? = nil,
        onRebalance: RebalanceHandler? = nil
    ) {
        self.logger = logger
        self.onDelivery = onDelivery
        self.onRebalance = onRebalance
    }

    static func from(_ opaque: UnsafeMutableRawPointer?) -> RdKafkaCallbacks {
        Unmanaged<RdKafkaCallbacks>.fromOpaque(opaque!).takeUnretainedValue()
    }

    /// Registers the C trampolines on `config`; `opaque` must be this object, retained.
    func register(on config: RdKafkaConfig, opaque: UnsafeMutableRawPointer) {
        config.withPointer { conf in
            rd_kafka_conf_set_opaque(conf, opaque)
            rd_kafka_conf_set_log_cb(conf) { handle, level, facility, text in
                guard let handle, let opaque = rd_kafka_opaque(handle) else { return }
                let callbacks = RdKafkaCallbacks.from(opaque)
                callbacks.logger.log(
                    level: Logger.Level(syslog: level),
                    "librdkafka",
                    metadata: [
                        LogKey.facility: .string(facility.map { String(cString: $0) } ?? ""),
                        LogKey.librdkafkaMessage: .string(text.map { String(cString: $0) } ?? ""),
                    ]
                )
            }
            rd_kafka_conf_set_error_cb(conf) { _, code, reason, opaque in
                let callbacks = RdKafkaCallbacks.from(opaque)
                let error = KafkaError(
                    rdKafka: rd_kafka_resp_err_t(code),
                    context: "client error",
                    detail: reason.map { String(cString: $0) }
                )
                callbacks.logger.info(
                    "librdkafka reported an error",
                    metadata: [LogKey.error: .string(error.description)]
                )
            }
            if onDelivery != nil {
                rd_kafka_conf_set_dr_msg_cb(conf) { _, message, opaque in
                    guard let message else { return }
                    RdKafkaCallbacks.from(opaque).onDelivery?(message)
                }
            }
            if onRebalance != nil {
                rd_kafka_conf_set_rebalance_cb(conf) { handle, code, partitions, opaque in
                    guard let handle, let partitions else { return }
                    RdKafkaCallbacks.from(opaque).onRebalance?(handle, code, partitions)
                }
            }
        }
    }
}

extension Logger.Level {
    /// librdkafka logs with syslog levels (0 emergency ... 7 debug). As a library we log at
    /// info or below: librdkafka's errors and warnings become `info`.
    init(syslog level: Int32) {
        switch level {
        case ...5: self = .info
        case 6: self = .debug
        default: self = .trace
        }
    }
}
