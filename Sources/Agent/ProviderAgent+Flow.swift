import Dispatch
import Kafka
import Logging
import Signals

// Publishing, offsets, flow control and ownership.
extension ProviderAgent {
    /// Publishes one message and awaits its acknowledgement, retrying transient failures
    /// (``KafkaProducer/sendRetrying(_:logger:)``).
    func publish(_ message: KafkaProducerMessage) async -> KafkaPublishOutcome {
        await producer.sendRetrying(message, logger: logger)
    }

    /// Publishes a request's answers in order. An answer the broker rejects for good (a
    /// `reply_to` topic that does not exist or may not be written, an answer or dead letter too
    /// large) is replaced by what can be delivered — a `provider_error` on the error topic naming
    /// the problem, or a truncated dead letter — so bad input never blocks the partition. `false`
    /// only at shutdown (the request is then abandoned and redelivered).
    func publish(_ messages: [KafkaProducerMessage]) async -> Bool {
        for message in messages {
            switch await publish(message) {
            case .published: continue
            case .givenUp: return false
            case .rejected(let error):
                guard let replacement = replacement(for: message, rejectedWith: error) else { continue }
                switch await publish(replacement) {
                case .published: continue
                case .givenUp: return false
                case .rejected(let again):
                    logger.info("answer could not be delivered in any form", metadata: ["kafka.topic": "\(replacement.topic)", "kafka.error": "\(again)"])
                }
            }
        }
        return true
    }

    /// What to publish instead of a message the broker rejected for good; `nil` when nothing
    /// better exists (it is logged).
    private func replacement(for message: KafkaProducerMessage, rejectedWith error: KafkaError) -> KafkaProducerMessage? {
        if message.topic == configuration.deadLetterTopic {
            guard error.code == .messageTooLarge else { return nil }
            let kept = 64 * 1024
            return KafkaProducerMessage(
                topic: message.topic, key: message.key, value: Array(message.value.prefix(kept)),
                headers: message.headers + [KafkaHeader(key: "dlq-truncated", value: "first \(kept) of \(message.value.count) bytes")]
            )
        }
        guard message.topic != configuration.errorTopic || error.code == .messageTooLarge,
              let requestID = message.headers.first(where: { $0.key == SignalHeader.requestID })?.stringValue ?? message.key.map({ String(decoding: $0, as: UTF8.self) })
        else { return nil }
        let text = error.code == .messageTooLarge
            ? "the answer (\(message.value.count) bytes) is too large to publish to '\(message.topic)': \(error.message)"
            : "the answer could not be published to '\(message.topic)' (the request's reply_to): \(error.message)"
        let signal = ProviderError(
            requestID: requestID, errorType: error.code == .messageTooLarge ? .providerError : .invalidRequest, error: text,
            retryable: false, provider: configuration.provider, instance: configuration.instanceID
        )
        return answer(.providerError(signal), to: configuration.errorTopic, key: requestID)
    }

    /// Whether the message's partition is still owned in the assignment it was fetched in.
    func isOwned(_ message: KafkaConsumerMessage, generation: Int) -> Bool {
        state.withLock { $0.window.isCurrent(message, generation: generation) }
    }

    /// Backpressure: suspends the reading task while `maxInFlight` messages are in flight, so no
    /// more messages are taken from the consumer (librdkafka's prefetch then stops at its queue
    /// bound); returns as soon as one finishes, or at shutdown.
    ///
    /// Not `pause`/`resume`: librdkafka drops what it prefetched for a paused partition and
    /// restarts fetching only at its broker thread's next wake-up (measured here: ~0.8 s per
    /// pause/resume cycle, which capped a 200-in-flight agent at ~200 requests/s).
    func waitForSlot() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            if !state.withLock({ $0.window.parkReader(continuation) }) { continuation.resume() }
        }
    }

    /// A fetched message enters flight; the first message of a newly assigned partition starts
    /// reading its ledger partition (from that message's offset on). Returns the assignment
    /// generation the message belongs to, or `nil` when it is stale: its partition was revoked,
    /// or assigned again, since it was fetched (the reader holds the rest of a batch while it
    /// waits for slots). Stale messages are dropped; the partition's owner reads them again.
    func enterFlight(_ message: KafkaConsumerMessage) -> Int? {
        state.withLock { state in
            guard let generation = state.window.enter(message, isCurrent: consumer.isCurrent(message)) else { return nil }
            if configuration.ledger, state.ledgerPending.remove(message.partition) != nil {
                let partition = message.partition
                let from = message.offset
                state.ledger[partition] = .loading(Task { await self.loadLedger(partition: partition, from: from) })
            }
            return generation
        }
    }

    /// A message leaves flight; when it completed in the assignment it was fetched in, the
    /// contiguous completed prefix of its partition is stored (then a revocation waiting for the
    /// partition may go on).
    func leaveFlight(_ message: KafkaConsumerMessage, generation: Int, completed: Bool) {
        let departure = state.withLock { $0.window.leave(message, generation: generation, completed: completed) }
        consumer.settle(departure, of: message)
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
                state.window.assign(partitions)
                for partition in partitions {
                    state.ledger[partition.partition] = nil
                    state.ledgerPending.insert(partition.partition)
                }
                state.updateShare()
            }
        case .revoked(let partitions), .lost(let partitions):
            let inFlight = state.withLock { state in
                let inFlight = state.window.beginRevoke(partitions, waitForInFlight: event == .revoked(partitions))
                state.updateShare()
                // Messages still waiting for a ledger read are abandoned at once (nothing of
                // theirs reached the provider), so the wait is only for running calls.
                for partition in partitions {
                    if case .loading(let task) = state.ledger[partition.partition] { task.cancel() }
                }
                return inFlight
            }
            if let inFlight, !inFlight.wait(timeout: revokeTimeout) {
                logger.info("revocation did not wait for every in-flight request", metadata: ["agent.partitions": "\(partitions.map(\.partition).sorted())"])
            }
            state.withLock { state in
                state.window.endRevoke(partitions)
                for partition in partitions {
                    if case .loading(let task) = state.ledger[partition.partition] { task.cancel() }
                    state.ledger[partition.partition] = nil
                    state.ledgerPending.remove(partition.partition)
                }
            }
        }
    }
}
