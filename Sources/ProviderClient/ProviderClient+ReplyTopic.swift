import Common
import Kafka
import Logging

// Getting the reply topic ready: found (or created), every partition assigned at its end.
extension ProviderClient {
    /// The start: the reply topic, its partitions positioned at their high watermarks, then the
    /// reader and the timer running. A failed start can be tried again.
    func setUp() async -> Result<Void, ProviderClientError> {
        let deadline = ContinuousClock.now + configuration.connectTimeout
        let partitionCount: Int
        do throws(ProviderClientError) {
            let partitions = try await replyPartitions(until: deadline)
            var positions: [TopicPartition: Int64?] = [:]
            for partition in partitions {
                positions[partition] = try await endOffset(of: partition, until: deadline)
            }
            // Explicit offsets, not "end": whatever is written from now on is read, however late
            // the fetcher starts.
            do {
                try reader.assign(positions)
            } catch {
                throw ProviderClientError(
                    code: .connectionFailed, message: "could not assign reply topic '\(replyTopic)': \(error.message)",
                    kafkaError: error)
            }
            partitionCount = partitions.count
        } catch {
            lifecycle.withLock { state in
                if state.phase == .starting { state.phase = .created }
                state.start = nil
            }
            logger.error(
                "provider client start failed",
                metadata: [LogKey.replyTopic: "\(replyTopic)", LogKey.error: "\(error.message)"])
            return .failure(error)
        }
        let started = lifecycle.withLock { state -> Bool in
            guard state.phase == .starting else { return false }
            state.phase = .running
            state.replies = Task { await self.readReplies() }
            state.timer = Task { await self.expireCalls() }
            return true
        }
        guard started else { return .failure(shutDownError()) }
        logger.info(
            "provider client ready",
            metadata: [
                LogKey.clientID: "\(configuration.clientID)", LogKey.replyTopic: "\(replyTopic)",
                LogKey.partitions: "\(partitionCount)",
            ])
        return .success(())
    }

    /// The reply topic's partitions; the per-client topic is created first when missing.
    private func replyPartitions(until deadline: ContinuousClock.Instant) async throws(ProviderClientError)
        -> [TopicPartition]
    {
        var createdOrFound = false
        var lastProblem = "not in the cluster's metadata"
        var timeout = configuration.connectTimeout
        while true {
            let metadata: KafkaClusterMetadata
            do {
                metadata = try await reader.metadata(timeout: timeout)
                timeout = Self.remaining(until: deadline)
            } catch {
                throw ProviderClientError(
                    code: .connectionFailed, message: "could not reach the broker: \(error.message)", kafkaError: error)
            }
            if let topic = metadata.topics[replyTopic] {
                if topic.error == nil, topic.partitionCount > 0 {
                    return (0..<topic.partitionCount).map { TopicPartition(topic: replyTopic, partition: Int32($0)) }
                }
                lastProblem = topic.error?.message ?? "no partitions yet"
            }
            if !createdOrFound {
                guard configuration.createsReplyTopic else {
                    throw ProviderClientError(
                        code: .connectionFailed,
                        message:
                            """
                            reply topic '\(replyTopic)' does not exist on the cluster at \
                            \(configuration.common.bootstrapServers) \

                            """
                                + """
                                (a reply topic given explicitly is never created: give an existing one, or none for \
                                the per-client topic)
                                """
                    )
                }
                try await createReplyTopic(until: deadline)
                createdOrFound = true
                continue
            }
            // Metadata lags a creation by a moment.
            guard ContinuousClock.now < deadline else {
                throw ProviderClientError(
                    code: .connectionFailed,
                    message:
                        """
                        reply topic '\(replyTopic)' not ready within \(configuration.connectTimeout.spoken): \
                        \(lastProblem)
                        """
                )
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    private func createReplyTopic(until deadline: ContinuousClock.Instant) async throws(ProviderClientError) {
        let spec = configuration.replyTopicSpec
        do {
            let admin = try KafkaAdmin(configuration: configuration.common, logger: logger)
            let outcome = try await admin.createTopics([spec], timeout: Self.remaining(until: deadline))
            if outcome[spec.name] == .created {
                logger.info(
                    "reply topic created",
                    metadata: [
                        LogKey.replyTopic: "\(spec.name)", LogKey.partitions: "\(spec.partitions)",
                        LogKey.retentionMs: "\(spec.configs["retention.ms"] ?? "")",
                    ])
            }
        } catch {
            throw ProviderClientError(
                code: .connectionFailed, message: "could not create reply topic '\(spec.name)': \(error.message)",
                kafkaError: error)
        }
    }

    /// The partition's high watermark (the next offset to be written), asked until `deadline`
    /// (a partition just created may have no leader for a moment).
    private func endOffset(of partition: TopicPartition, until deadline: ContinuousClock.Instant)
        async throws(ProviderClientError) -> Int64
    {
        while true {
            let failure: KafkaError
            do {
                return try await reader.watermarks(
                    of: partition, timeout: min(Self.remaining(until: deadline), .seconds(5))
                ).high
            } catch {
                failure = error
            }
            guard ContinuousClock.now < deadline else {
                throw ProviderClientError(
                    code: .connectionFailed,
                    message:
                        """
                        could not find the end of reply topic partition \(partition) within \
                        \(configuration.connectTimeout.spoken): \(failure.message)
                        """,
                    kafkaError: failure
                )
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Time left until `deadline`, at least 100 ms (a last try).
    static func remaining(until deadline: ContinuousClock.Instant) -> Duration {
        max(deadline - ContinuousClock.now, .milliseconds(100))
    }
}
