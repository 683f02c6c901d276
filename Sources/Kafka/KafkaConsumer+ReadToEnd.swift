internal import CRdKafka

/// Where a manually assigned partition starts.
public enum KafkaStartOffset: Sendable, Hashable {
    /// The oldest message still in the partition.
    case beginning
    /// Only messages written after the assignment.
    case end
    /// This offset.
    case offset(Int64)

    var rawValue: Int64 {
        switch self {
        case .beginning: Int64(RD_KAFKA_OFFSET_BEGINNING)
        case .end: Int64(RD_KAFKA_OFFSET_END)
        case .offset(let offset): offset
        }
    }
}

extension KafkaConsumer {
    /// The partition's low and high watermarks (oldest offset, next offset to be written), asked
    /// from the broker.
    public func watermarks(of partition: TopicPartition, timeout: Duration = .seconds(10)) async throws(KafkaError) -> (low: Int64, high: Int64) {
        let client = client
        return try await blockingExecutor.run { () throws(KafkaError) -> (low: Int64, high: Int64) in
            var low: Int64 = -1
            var high: Int64 = -1
            let code = rd_kafka_query_watermark_offsets(
                client.pointer, partition.topic, partition.partition, &low, &high, Int32(clamping: timeout.milliseconds)
            )
            guard code == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw KafkaError(rdKafka: code, context: "query watermarks of \(partition)")
            }
            return (low, high)
        }
    }

    /// The high watermark the last fetch response of `partition` carried (no request).
    func fetchedHighWatermark(of partition: TopicPartition) -> Int64? {
        var low: Int64 = -1
        var high: Int64 = -1
        let code = rd_kafka_get_watermark_offsets(client.pointer, partition.topic, partition.partition, &low, &high)
        return code == RD_KAFKA_RESP_ERR_NO_ERROR && high >= 0 ? high : nil
    }

    /// Assigns exactly `partitions` (no group rebalancing) starting at `start`.
    public func assign(_ partitions: Set<TopicPartition>, from start: KafkaStartOffset) throws(KafkaError) {
        try assign(Dictionary(uniqueKeysWithValues: partitions.map { ($0, Optional(start.rawValue)) }))
    }

    /// Reads `partitions` from their beginning up to their high watermarks as they are when the
    /// call starts (or as the first fetch reports them, when that is more: Tansu 0.6.0 answers
    /// the offset request with the last batch's base offset + 1), handing every message to
    /// `body` in offset order per partition, and returns
    /// when all are read. The partitions stay assigned afterwards (read ``messages`` to follow
    /// what is written next). Replaces any previous assignment.
    ///
    /// - Throws: the broker's error, ``KafkaError/Code/timedOut`` when the end is not reached
    ///   within `timeout`, ``KafkaError/Code/closed`` when the task is cancelled, or whatever
    ///   `body` throws.
    public func readToEnd(
        _ partitions: Set<TopicPartition>, timeout: Duration = .seconds(120),
        _ body: (KafkaConsumerMessage) throws(KafkaError) -> Void
    ) async throws(KafkaError) {
        let deadline = ContinuousClock.now + timeout
        var remaining: [TopicPartition: Int64] = [:]
        for partition in partitions {
            let (low, high) = try await watermarks(of: partition)
            if high > max(low, 0) { remaining[partition] = high }
        }
        try assign(partitions, from: .beginning)
        var raised = Set<TopicPartition>()
        while !remaining.isEmpty {
            guard !Task.isCancelled else {
                throw KafkaError(code: .closed, message: "reading \(remaining.keys.map(\.description).sorted()) to the end was cancelled")
            }
            guard ContinuousClock.now < deadline else {
                throw KafkaError(code: .timedOut, message: "reading \(remaining.keys.map(\.description).sorted()) to the end took longer than \(timeout)")
            }
            guard let batch = try await pollBatch() else {
                throw KafkaError(code: .closed, message: "consumer closed while reading \(remaining.keys.map(\.description).sorted()) to the end")
            }
            for message in batch {
                try body(message)
                let partition = message.topicPartition
                // The first fetch's high watermark, if it says more: Tansu 0.6.0 answers
                // ListOffsets with the last batch's base offset + 1, its fetches with the end.
                if raised.insert(partition).inserted, let end = remaining[partition],
                   let high = fetchedHighWatermark(of: partition), high > end {
                    remaining[partition] = high
                }
                if let end = remaining[partition], message.offset + 1 >= end { remaining[partition] = nil }
            }
            // Offsets at the end that hold no message (compaction, transaction markers): the
            // position moves past them without a message.
            for (partition, end) in remaining {
                if let position = position(partition), position >= end { remaining[partition] = nil }
            }
        }
    }
}
