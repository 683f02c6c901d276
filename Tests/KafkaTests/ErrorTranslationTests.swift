import CRdKafka
import Testing

@testable import Kafka

@Suite("librdkafka error translation")
struct ErrorTranslationTests {
    @Test(
        "codes map to kind and retriability",
        arguments: [
            (RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, KafkaError.Code.timedOut, true),
            (RD_KAFKA_RESP_ERR__TRANSPORT, .brokerUnreachable, true),
            (RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, .brokerUnreachable, true),
            (RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, .unknownTopic, false),
            (RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC, .unknownTopic, false),
            (RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, .messageTooLarge, false),
            (RD_KAFKA_RESP_ERR__QUEUE_FULL, .queueFull, true),
            (RD_KAFKA_RESP_ERR__STATE, .partitionNotAssigned, false),
            (RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, .notAuthorized, false),
            (RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS, .topicAlreadyExists, false),
            (RD_KAFKA_RESP_ERR_INVALID_PARTITIONS, .invalidArgument, false),
            (RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, .other, true),
            (RD_KAFKA_RESP_ERR__PURGE_QUEUE, .closed, false),
        ]
    )
    func mapping(code: rd_kafka_resp_err_t, expected: KafkaError.Code, retriable: Bool) {
        let error = KafkaError(rdKafka: code, context: "delivery to topic 'x'")
        #expect(error.code == expected)
        #expect(error.isRetriable == retriable)
        #expect(error.message.hasPrefix("delivery to topic 'x': "))
        #expect(error.rdKafkaName == String(cString: rd_kafka_err2name(code)))
    }

    @Test("fatal codes are fatal and not retriable")
    func fatal() {
        let error = KafkaError(rdKafka: RD_KAFKA_RESP_ERR__FATAL, context: "produce")
        #expect(error.code == .fatal)
        #expect(error.isFatal)
        #expect(!error.isRetriable)
    }

    @Test("librdkafka's specific detail replaces the generic text")
    func detail() {
        let error = KafkaError(rdKafka: RD_KAFKA_RESP_ERR__TRANSPORT, context: "connect", detail: "Connection refused")
        #expect(error.message == "connect: Connection refused")
        #expect(error.description.contains("[_TRANSPORT]"))
    }

    @Test("Duration becomes whole milliseconds")
    func durationMilliseconds() {
        #expect(Duration.seconds(2).milliseconds == 2000)
        #expect(Duration.milliseconds(1500).milliseconds == 1500)
        #expect(Duration.microseconds(999).milliseconds == 0)
    }
}
