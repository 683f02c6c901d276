import Dispatch
import Kafka
import Logging

// Publishing, offsets, flow control, ownership and backoff waits.
extension LLMRouter {
    /// Publishes one message and awaits its acknowledgement, retrying transient failures
    /// (``KafkaProducer/sendRetrying(_:logger:)``).
    func publish(_ message: KafkaProducerMessage) async -> KafkaPublishOutcome {
        await producer.sendRetrying(message, logger: logger)
    }

    /// Waits `delay` unless the message's partition is revoked or the router stops first
    /// (`false`: the wait was cut short).
    func wait(_ delay: Duration, for message: KafkaConsumerMessage) async -> Bool {
        let partition = message.topicPartition
        let sleeper = Task { _ = try? await Task.sleep(for: delay) }
        let registered = state.withLock { state -> Bool in
            guard !state.window.isStopping, state.window.owned.contains(partition) else { return false }
            state.waits[partition, default: [:]][message.offset] = sleeper
            return true
        }
        guard registered else {
            sleeper.cancel()
            return false
        }
        await withTaskCancellationHandler {
            await sleeper.value
        } onCancel: {
            sleeper.cancel()
        }
        state.withLock { state in
            state.waits[partition]?[message.offset] = nil
            if state.waits[partition]?.isEmpty == true { state.waits[partition] = nil }
        }
        return !sleeper.isCancelled && !Task.isCancelled
    }

    func isOwned(_ message: KafkaConsumerMessage, generation: Int) -> Bool {
        state.withLock { $0.window.isCurrent(message, generation: generation) && !$0.window.isStopping }
    }

    /// Backpressure: suspends the reading task while `maxInFlight` messages are in flight.
    func waitForSlot() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            if !state.withLock({ $0.window.parkReader(continuation) }) { continuation.resume() }
        }
    }

    /// A fetched message enters flight; returns the assignment generation it belongs to, or
    /// `nil` when it is stale: its partition was revoked, or assigned again, since it was
    /// fetched. Stale messages are dropped; the partition's owner reads them again.
    func enterFlight(_ message: KafkaConsumerMessage) -> Int? {
        state.withLock { $0.window.enter(message, isCurrent: consumer.isCurrent(message)) }
    }

    /// A message leaves flight; when it completed in the assignment it was fetched in, the
    /// contiguous completed prefix of its partition is stored (abandoned messages are
    /// redelivered to the partition's next owner).
    func leaveFlight(_ message: KafkaConsumerMessage, generation: Int, completed: Bool) {
        let departure = state.withLock { $0.window.leave(message, generation: generation, completed: completed) }
        consumer.settle(departure, of: message)
    }

    /// Applies an assignment change (on the consumer's polling thread). A revocation hands back
    /// the retries waiting out a backoff at once and waits (at most `revokeTimeout`) for the
    /// forwards already under way, so the next owner does not forward them again.
    static func rebalanced(_ event: KafkaRebalanceEvent, state: RouterState, revokeTimeout: Duration, logger: Logger) {
        switch event {
        case .assigned(let partitions):
            state.withLock { $0.window.assign(partitions) }
        case .revoked(let partitions), .lost(let partitions):
            let inFlight = state.withLock { state in
                state.cancelWaits(in: partitions)
                return state.window.beginRevoke(partitions, waitForInFlight: event == .revoked(partitions))
            }
            if let inFlight, !inFlight.wait(timeout: revokeTimeout) {
                logger.info("revocation did not wait for every in-flight message", metadata: ["router.partitions": "\(partitions.map(\.description).sorted())"])
            }
            state.withLock { $0.window.endRevoke(partitions) }
        }
    }
}
