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
    public func watermarks(of partition: TopicPartition, timeout: Duration = .seconds(10)) async throws(KafkaError) -> (
        low: Int64, high: Int64
    ) {
        let client = client
        return try await blockingExecutor.run { () throws(KafkaError) -> (low: Int64, high: Int64) in
            try Self.queryWatermarks(client, partition, timeout: timeout)
        }
    }

    /// Asks the broker for the partition's watermarks (blocks: call on the blocking executor).
    private static func queryWatermarks(
        _ client: RdKafkaClient, _ partition: TopicPartition, timeout: Duration
    ) throws(KafkaError) -> (low: Int64, high: Int64) {
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

    /// For each partition, the earliest offset whose timestamp is at or after the given time
    /// (milliseconds since the epoch), asked from the broker; the partition's end (its high
    /// watermark) when every message is older.
    public func offsets(
        forTimes times: [TopicPartition: Int64], timeout: Duration = .seconds(10)
    ) async throws(KafkaError) -> [TopicPartition: Int64] {
        let client = client
        return try await blockingExecutor.run { () throws(KafkaError) -> [TopicPartition: Int64] in
            let list = RdKafkaTopicPartitionList(offsets: times)
            let code = rd_kafka_offsets_for_times(client.pointer, list.pointer, Int32(clamping: timeout.milliseconds))
            guard code == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw KafkaError(
                    rdKafka: code, context: "look up offsets by time for \(times.keys.map(\.description).sorted())")
            }
            var result: [TopicPartition: Int64] = [:]
            for (partition, offset, error) in list.entries {
                guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
                    throw KafkaError(rdKafka: error, context: "look up offsets by time for \(partition)")
                }
                if offset >= 0 {
                    result[partition] = offset
                } else {
                    // No message at or after the time: start at the end.
                    result[partition] = try Self.queryWatermarks(client, partition, timeout: timeout).high
                }
            }
            return result
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
        try await readToEnd(
            from: Dictionary(uniqueKeysWithValues: partitions.map { ($0, nil) }), timeout: timeout, body)
    }

    /// The partition's first offset and its end (the next offset to be written), the end as a
    /// fetch reports it: Tansu 0.6.0 answers the offset request with its last batch's base
    /// offset + 1, which leaves out the rest of that batch, so the end is confirmed by fetching
    /// there (one read).
    public func bounds(of partition: TopicPartition, timeout: Duration = .seconds(30)) async throws(KafkaError) -> (
        low: Int64, high: Int64
    ) {
        let (low, high) = try await watermarks(of: partition)
        guard high > low else { return (low, high) }
        _ = try await readOne(at: partition, offset: high - 1, end: high, timeout: timeout)
        return (low, max(high, fetchedHighWatermark(of: partition) ?? high))
    }

    /// The first offset of `partition` whose message's timestamp is at or after `timeMs`
    /// (milliseconds since the epoch), the partition's end when every message is older.
    ///
    /// Asks the broker first (``offsets(forTimes:timeout:)``) and checks its answer against the
    /// messages themselves: the message there must be at or after the time and the one before it
    /// older. When the answer does not hold — Tansu 0.6.0 looks up the time its batches were
    /// appended, not the messages' timestamps, and answers 0 when nothing is that recent — the
    /// offset is found by a binary search over the messages' timestamps (about log2(n) reads).
    /// Assumes timestamps grow with offsets, up to clock differences between writers.
    public func offset(atOrAfter timeMs: Int64, in partition: TopicPartition, timeout: Duration = .seconds(30))
        async throws(KafkaError) -> Int64
    {
        let (low, high) = try await bounds(of: partition, timeout: timeout)
        guard high > low else { return high }
        func timestamp(at offset: Int64) async throws(KafkaError) -> Int64? {
            guard let message = try await readOne(at: partition, offset: offset, timeout: timeout) else { return nil }
            return message.timestampMilliseconds
        }
        if let answer = try await offsets(forTimes: [partition: timeMs], timeout: timeout)[partition] {
            let clamped = min(max(answer, low), high)
            let here = clamped < high ? try await timestamp(at: clamped) : nil
            let before = clamped > low ? try await timestamp(at: clamped - 1) : nil
            let hereHolds = clamped == high || (here.map { $0 >= timeMs } ?? false)
            let beforeHolds = clamped == low || (before.map { $0 < timeMs } ?? false)
            if hereHolds, beforeHolds { return clamped }
        }
        // Everything older (an idle partition): the end, in one read.
        if let last = try await timestamp(at: high - 1), last < timeMs { return high }
        // Binary search: the first offset in [low, high) whose timestamp is >= timeMs.
        var lower = low
        var upper = high
        while lower < upper {
            let middle = lower + (upper - lower) / 2
            guard let stamp = try await timestamp(at: middle) else {
                upper = middle
                continue
            }
            if stamp >= timeMs { upper = middle } else { lower = middle + 1 }
        }
        return lower
    }

    /// The message at `offset` of `partition` (the next one after it, when compaction removed it);
    /// `nil` when the partition ends before. Replaces any previous assignment.
    public func readOne(
        at partition: TopicPartition, offset: Int64, timeout: Duration = .seconds(30)
    ) async throws(KafkaError) -> KafkaConsumerMessage? {
        try await readOne(at: partition, offset: offset, end: nil, timeout: timeout)
    }

    private func readOne(
        at partition: TopicPartition, offset: Int64, end: Int64?, timeout: Duration
    ) async throws(KafkaError) -> KafkaConsumerMessage? {
        let deadline = ContinuousClock.now + timeout
        let high: Int64
        if let end {
            high = end
        } else {
            high = try await bounds(of: partition, timeout: timeout).high
        }
        guard offset < high else { return nil }
        // A partition read before keeps reporting its old position until a fetch moves it.
        let stale = position(partition)
        try assign([partition: offset])
        while ContinuousClock.now < deadline {
            guard !Task.isCancelled else {
                throw KafkaError(code: .closed, message: "reading \(partition) at \(offset) was cancelled")
            }
            guard let batch = try await pollBatch() else {
                throw KafkaError(code: .closed, message: "consumer closed while reading \(partition) at \(offset)")
            }
            if let message = batch.first(where: { $0.topicPartition == partition && $0.offset >= offset }) {
                return message
            }
            if let position = position(partition), position != stale, position >= high { return nil }
        }
        throw KafkaError(code: .timedOut, message: "reading \(partition) at \(offset) took longer than \(timeout)")
    }

    /// Reads each partition from the given offset (`nil`: its beginning) up to its high watermark
    /// as it is when the call starts (see ``readToEnd(_:timeout:_:)``).
    public func readToEnd(
        from starts: [TopicPartition: Int64?], timeout: Duration = .seconds(120),
        _ body: (KafkaConsumerMessage) throws(KafkaError) -> Void
    ) async throws(KafkaError) {
        let deadline = ContinuousClock.now + timeout
        var remaining: [TopicPartition: Int64] = [:]
        var assignment: [TopicPartition: Int64?] = [:]
        // A partition read before keeps reporting its old position until a fetch moves it.
        var stale: [TopicPartition: Int64] = [:]
        var seen = Set<TopicPartition>()
        for (partition, start) in starts {
            let (low, high) = try await bounds(of: partition)
            let first = max(low, start ?? low, 0)
            if high > first { remaining[partition] = high }
            assignment[partition] = start.map { max($0, low) } ?? KafkaStartOffset.beginning.rawValue
            stale[partition] = position(partition)
        }
        try assign(assignment)
        var raised = Set<TopicPartition>()
        while !remaining.isEmpty {
            guard !Task.isCancelled else {
                throw KafkaError(
                    code: .closed,
                    message: "reading \(remaining.keys.map(\.description).sorted()) to the end was cancelled")
            }
            guard ContinuousClock.now < deadline else {
                throw KafkaError(
                    code: .timedOut,
                    message:
                        "reading \(remaining.keys.map(\.description).sorted()) to the end took longer than \(timeout)"
                )
            }
            guard let batch = try await pollBatch() else {
                throw KafkaError(
                    code: .closed,
                    message: "consumer closed while reading \(remaining.keys.map(\.description).sorted()) to the end"
                )
            }
            for message in batch {
                try body(message)
                let partition = message.topicPartition
                seen.insert(partition)
                // The first fetch's high watermark, if it says more: Tansu 0.6.0 answers
                // ListOffsets with the last batch's base offset + 1, its fetches with the end.
                if raised.insert(partition).inserted, let end = remaining[partition],
                    let high = fetchedHighWatermark(of: partition), high > end
                {
                    remaining[partition] = high
                }
                if let end = remaining[partition], message.offset + 1 >= end { remaining[partition] = nil }
            }
            // Offsets at the end that hold no message (compaction, transaction markers): the
            // position moves past them without a message.
            for (partition, end) in remaining {
                guard let position = position(partition), position >= end else { continue }
                if seen.contains(partition) || position != stale[partition] { remaining[partition] = nil }
            }
        }
    }
}
