internal import CRdKafka

/// Owns an `rd_kafka_topic_partition_list_t`.
final class RdKafkaTopicPartitionList {
    let pointer: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>

    init(capacity: Int = 1) {
        pointer = rd_kafka_topic_partition_list_new(Int32(clamping: max(1, capacity)))
    }

    convenience init<S: Sequence>(_ partitions: S) where S.Element == TopicPartition {
        let array = Array(partitions)
        self.init(capacity: array.count)
        for entry in array { add(entry) }
    }

    convenience init(offsets: [TopicPartition: Int64]) {
        self.init(capacity: offsets.count)
        for (entry, offset) in offsets { add(entry, offset: offset) }
    }

    deinit { rd_kafka_topic_partition_list_destroy(pointer) }

    @discardableResult
    func add(_ entry: TopicPartition, offset: Int64? = nil) -> UnsafeMutablePointer<rd_kafka_topic_partition_t> {
        let element = rd_kafka_topic_partition_list_add(pointer, entry.topic, entry.partition)!
        if let offset { element.pointee.offset = offset }
        return element
    }

    /// Entries with their offsets and per-entry error codes.
    var entries: [(TopicPartition, offset: Int64, error: rd_kafka_resp_err_t)] {
        Self.entries(of: pointer)
    }

    static func entries(
        of list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>
    ) -> [(TopicPartition, offset: Int64, error: rd_kafka_resp_err_t)] {
        (0..<Int(list.pointee.cnt)).map { index in
            let element = list.pointee.elems[index]
            return (
                TopicPartition(topic: String(cString: element.topic), partition: element.partition), element.offset,
                element.err
            )
        }
    }

    static func partitions(of list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) -> Set<TopicPartition> {
        Set(entries(of: list).map(\.0))
    }
}
