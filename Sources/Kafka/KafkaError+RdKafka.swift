internal import CRdKafka

extension KafkaError {
    /// The one place librdkafka error codes become ``KafkaError``s.
    ///
    /// - Parameters:
    ///   - code: librdkafka's response code.
    ///   - context: what was being done, e.g. "delivery to topic 'x'"; starts the message.
    ///   - detail: librdkafka's own error string when it has a more specific one.
    init(rdKafka code: rd_kafka_resp_err_t, context: String, detail: String? = nil) {
        let name = String(cString: rd_kafka_err2name(code))
        let reason = detail ?? String(cString: rd_kafka_err2str(code))
        let mapped = Self.classify(code)
        self.init(
            code: mapped.code,
            message: "\(context): \(reason)",
            isRetriable: mapped.retriable,
            isFatal: mapped.code == .fatal,
            rdKafkaName: name
        )
    }

    /// Maps an `rd_kafka_error_t` (consumes it: the error object is destroyed).
    init(consuming error: OpaquePointer, context: String) {
        defer { rd_kafka_error_destroy(error) }
        let code = rd_kafka_error_code(error)
        let detail = rd_kafka_error_string(error).map { String(cString: $0) }
        var mapped = KafkaError(rdKafka: code, context: context, detail: detail)
        if rd_kafka_error_is_fatal(error) != 0 {
            mapped = KafkaError(code: .fatal, message: mapped.message, isFatal: true, rdKafkaName: mapped.rdKafkaName)
        } else if rd_kafka_error_is_retriable(error) != 0, !mapped.isRetriable {
            mapped = KafkaError(
                code: mapped.code, message: mapped.message, isRetriable: true, rdKafkaName: mapped.rdKafkaName)
        }
        self = mapped
    }

    private static func classify(_ code: rd_kafka_resp_err_t) -> (code: Code, retriable: Bool) {
        switch code {
        case RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN,
            RD_KAFKA_RESP_ERR__RESOLVE, RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE,
            RD_KAFKA_RESP_ERR__NODE_UPDATE:
            return (.brokerUnreachable, true)
        case RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR__MSG_TIMED_OUT,
            RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE:
            return (.timedOut, true)
        case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART,
            RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_ID:
            return (.unknownTopic, false)
        case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
            return (.messageTooLarge, false)
        case RD_KAFKA_RESP_ERR__QUEUE_FULL:
            return (.queueFull, true)
        case RD_KAFKA_RESP_ERR__STATE, RD_KAFKA_RESP_ERR__ASSIGNMENT_LOST:
            return (.partitionNotAssigned, false)
        case RD_KAFKA_RESP_ERR__NOT_IMPLEMENTED, RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION,
            RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE, RD_KAFKA_RESP_ERR_INVALID_REQUEST:
            return (.unsupported, false)
        case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED,
            RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED,
            RD_KAFKA_RESP_ERR__AUTHENTICATION, RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
            return (.notAuthorized, false)
        case RD_KAFKA_RESP_ERR__INVALID_ARG, RD_KAFKA_RESP_ERR_INVALID_PARTITIONS,
            RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR, RD_KAFKA_RESP_ERR_INVALID_CONFIG,
            RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION, RD_KAFKA_RESP_ERR__INVALID_TYPE:
            return (.invalidArgument, false)
        case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS:
            return (.topicAlreadyExists, false)
        case RD_KAFKA_RESP_ERR__FATAL, RD_KAFKA_RESP_ERR__FENCED, RD_KAFKA_RESP_ERR_PRODUCER_FENCED,
            RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH:
            return (.fatal, false)
        case RD_KAFKA_RESP_ERR__DESTROY, RD_KAFKA_RESP_ERR__PURGE_QUEUE, RD_KAFKA_RESP_ERR__PURGE_INFLIGHT:
            return (.closed, false)
        case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
            RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND,
            RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
            RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS, RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS,
            RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION, RD_KAFKA_RESP_ERR__WAIT_COORD, RD_KAFKA_RESP_ERR__IN_PROGRESS:
            return (.other, true)
        default:
            return (.other, false)
        }
    }
}
