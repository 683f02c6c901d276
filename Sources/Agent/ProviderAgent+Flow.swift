import Dispatch
import Kafka
import Logging

// Publishing, offsets, flow control and ownership.
extension ProviderAgent {
    /// Publishes in order, awaiting each acknowledgement; retries until it succeeds, and gives up
    /// (returning `false`, so the offset is not stored and the message is redelivered) only when
    /// the task is cancelled or the producer is closed.
    func publish(_ messages: [KafkaProducerMessage]) async -> Bool {
        for message in messages {
            var backoff = Duration.milliseconds(100)
            while true {
                do {
                    try await producer.send(message)
                    break
                } catch {
                    if error.code == .closed || Task.isCancelled { return false }
                    logger.info("publish failed, retrying", metadata: ["kafka.topic": "\(message.topic)", "kafka.error": "\(error)"])
                    try? await Task.sleep(for: backoff)
                    backoff = min(backoff * 2, .seconds(5))
                }
            }
        }
        return true
    }

    /// Whether the message's partition is still owned (not revoked or lost since it was fetched).
    func isOwned(_ message: KafkaConsumerMessage) -> Bool {
        state.withLock { $0.owned.contains(message.topicPartition) }
    }

    /// A fetched message enters the in-flight count; the first message of a newly assigned
    /// partition starts reading its ledger partition (from that message's offset on).
    func enterFlight(_ message: KafkaConsumerMessage) {
        let pause = state.withLock { state -> Bool in
            state.offsets.consumed(message)
            state.inFlight += 1
            state.inFlightByPartition[message.topicPartition, default: 0] += 1
            if state.ledgerPending.remove(message.partition) != nil {
                let partition = message.partition
                let from = message.offset
                state.ledger[partition] = .loading(Task { await self.loadLedger(partition: partition, from: from) })
            }
            if state.inFlight >= configuration.maxInFlight, !state.paused {
                state.paused = true
                return true
            }
            return false
        }
        if pause { try? consumer.pause(consumer.assignment) }
    }

    func leaveFlight(_ message: KafkaConsumerMessage, completed: Bool) {
        let (next, resume) = state.withLock { state -> (Int64?, Bool) in
            state.inFlight -= 1
            let next = completed ? state.offsets.completed(message) : nil
            state.inFlightByPartition[message.topicPartition, default: 1] -= 1
            if state.inFlightByPartition[message.topicPartition] == 0 { state.inFlightByPartition[message.topicPartition] = nil }
            let resume = state.paused && state.inFlight < configuration.maxInFlight / 2 && !state.stopping
            if resume { state.paused = false }
            return (next, resume)
        }
        if let next {
            do {
                try consumer.storeOffsets([message.topicPartition: next])
            } catch {
                // Revoked meanwhile: the partition's next owner reads it again.
                logger.debug("offset not stored", metadata: ["kafka.error": "\(error)"])
            }
        }
        // After the offset is stored: a revocation waiting for this partition may go on.
        state.withLock { $0.signalRevokeWaiterIfDone() }
        if resume { try? consumer.resume(consumer.assignment) }
    }

    /// Applies an assignment change (on the consumer's polling thread). A revocation first waits
    /// (at most `revokeTimeout`) until the in-flight requests of the revoked partitions are
    /// answered and their offsets stored, so the next owner neither calls the provider for them
    /// again nor finds them half done; requests not started yet are abandoned at once. Lost
    /// partitions are given up without waiting. The rate-limit share follows the partitions owned.
    static func rebalanced(_ event: KafkaRebalanceEvent, state: AgentState, revokeTimeout: Duration, logger: Logger) {
        switch event {
        case .assigned(let partitions):
            state.withLock { state in
                state.owned.formUnion(partitions)
                for partition in partitions {
                    state.ledger[partition.partition] = nil
                    state.ledgerPending.insert(partition.partition)
                }
                state.updateShare()
            }
        case .revoked(let partitions), .lost(let partitions):
            let semaphore = state.withLock { state -> DispatchSemaphore? in
                state.owned.subtract(partitions)
                state.updateShare()
                guard case .revoked = event, partitions.contains(where: { (state.inFlightByPartition[$0] ?? 0) > 0 }) else { return nil }
                let semaphore = DispatchSemaphore(value: 0)
                state.revokeWaiter = AgentState.RevokeWaiter(partitions: partitions, semaphore: semaphore)
                return semaphore
            }
            if let semaphore {
                let timeout = DispatchTime.now() + .milliseconds(Int(revokeTimeout.milliseconds))
                if semaphore.wait(timeout: timeout) == .timedOut {
                    logger.info("revocation did not wait for every in-flight request", metadata: ["agent.partitions": "\(partitions.map(\.partition).sorted())"])
                }
            }
            state.withLock { state in
                state.revokeWaiter = nil
                state.offsets.revoke(partitions)
                for partition in partitions {
                    if case .loading(let task) = state.ledger[partition.partition] { task.cancel() }
                    state.ledger[partition.partition] = nil
                    state.ledgerPending.remove(partition.partition)
                }
            }
        }
    }
}
