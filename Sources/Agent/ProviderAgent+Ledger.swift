import AgentCore
import Foundation
import Kafka
import Logging
import Signals

// The ledger `llm.ledger.<provider>`: (request_id, attempt) → outcome, written to the request's
// partition number; read back when a partition is assigned.
extension ProviderAgent {
    enum LedgerLookup {
        /// No answer recorded: call the provider (a `started` record means it is a recall, counted).
        case notAnswered
        /// Answered before: publish this again.
        case answered(KafkaProducerMessage)
        /// The partition is no longer ours.
        case abandon
    }

    /// What the ledger says about this attempt, once the partition's ledger has been read.
    func lookUpLedger(_ request: ProviderRequest, in message: KafkaConsumerMessage, generation: Int) async -> LedgerLookup {
        guard configuration.ledger else { return .notAnswered }
        let partition = message.partition
        let attempt = request.effectiveAttempt
        while true {
            // Only the slot of the assignment this message was fetched in.
            let slot = state.withLock { state in state.window.generation(of: message.topicPartition) == generation ? state.ledger[partition] : nil }
            switch slot {
            case nil:
                return .abandon
            case .loading(let task):
                guard let index = await task.value else { return .abandon }
                state.withLock { state in
                    if case .loading(let current) = state.ledger[partition], current == task {
                        state.ledger[partition] = .ready(index)
                    }
                }
            case .ready:
                enum Found { case record(LedgerRecord?), changed }
                let found = state.withLock { state -> Found in
                    guard state.window.generation(of: message.topicPartition) == generation, case .ready(var index)? = state.ledger[partition] else { return .changed }
                    // Moved out while it changes, so the index is not copied.
                    state.ledger[partition] = nil
                    let record = index.take(requestID: request.requestID, attempt: attempt)
                    state.ledger[partition] = .ready(index)
                    switch record?.state {
                    case .answered?: state.metrics.recordLedgerRepeat()
                    case .started?: state.metrics.recordProviderRecall()
                    case nil: break
                    }
                    return .record(record)
                }
                guard case .record(let record) = found else { continue }
                guard let record else { return .notAnswered }
                switch record.state {
                case .answered:
                    guard let answer = record.answer else { return .notAnswered }
                    logger.debug("answered from the ledger", metadata: ["agent.request_id": "\(request.requestID)", "agent.attempt": "\(attempt)"])
                    return .answered(answer.message)
                case .started:
                    logger.info("request in flight at a previous owner's stop reaches the provider again", metadata: [
                        "agent.request_id": "\(request.requestID)", "agent.attempt": "\(attempt)", "agent.previous_instance": "\(record.instance)",
                    ])
                    return .notAnswered
                }
            }
        }
    }

    /// Writes a ledger record for this attempt to the request's partition number and awaits
    /// its acknowledgement; `false` when given up (shutdown).
    func recordInLedger(_ ledgerState: LedgerRecord.State, request: ProviderRequest, message: KafkaConsumerMessage, answer: KafkaProducerMessage? = nil) async -> Bool {
        guard configuration.ledger else { return true }
        let record = LedgerRecord(
            requestID: request.requestID, attempt: request.effectiveAttempt, state: ledgerState,
            requestPartition: message.partition, requestOffset: message.offset, instance: configuration.instanceID,
            recordedAtMs: Int64(Date().timeIntervalSince1970 * 1000), answer: answer.map(LedgerRecord.Answer.init)
        )
        switch await publish(KafkaProducerMessage(
            topic: configuration.ledgerTopic, partition: message.partition, key: Array(record.key.utf8), value: record.encoded
        )) {
        case .published:
            return true
        case .givenUp:
            return false
        case .rejected(let error):
            // E.g. an answer too large to record: it is still answered, but a redelivery after a
            // crash would reach the provider again (logged).
            logger.info("ledger record rejected, going on without it", metadata: [
                "agent.request_id": "\(request.requestID)", "agent.state": "\(ledgerState.rawValue)", "kafka.error": "\(error)",
            ])
            return true
        }
    }

    /// Reads ledger partition `partition` to its end, keeping the records of requests at or
    /// after `from`; retried until it succeeds. `nil` when cancelled (partition revoked).
    func loadLedger(partition: Int32, from: Int64) async -> LedgerIndex? {
        var backoff = Duration.milliseconds(200)
        while !Task.isCancelled {
            let started = ContinuousClock.now
            do {
                let index = try await readLedger(partition: partition, from: from)
                guard !Task.isCancelled else { return nil }
                logger.info("ledger partition read", metadata: [
                    "agent.partition": "\(partition)", "agent.from_offset": "\(from)", "agent.records": "\(index.records.count)",
                    "agent.unreadable": "\(index.unreadable)", "agent.duration_ms": "\(Int((ContinuousClock.now - started).milliseconds))",
                ])
                return index
            } catch {
                logger.info("ledger partition not read, retrying", metadata: ["agent.partition": "\(partition)", "kafka.error": "\(error)"])
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(5))
            }
        }
        return nil
    }

    private func readLedger(partition: Int32, from: Int64) async throws(KafkaError) -> LedgerIndex {
        let reader = try KafkaConsumer(configuration: configuration.readerConfiguration(purpose: "ledger"), logger: logger)
        var index = LedgerIndex(partition: partition, from: from)
        do {
            // A long retention can mean a large partition: minutes, not the default 2.
            try await reader.readToEnd([TopicPartition(topic: configuration.ledgerTopic, partition: partition)], timeout: .seconds(600)) { message in
                index.add(message)
            }
        } catch {
            try? await reader.close()
            throw error
        }
        try? await reader.close()
        return index
    }
}
