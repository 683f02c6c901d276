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
            guard !state.stopping, state.owned.contains(partition) else { return false }
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
        state.withLock { $0.owned.contains(message.topicPartition) && $0.generation[message.topicPartition] == generation && !$0.stopping }
    }

    /// Backpressure: suspends the reading task while `maxInFlight` messages are in flight.
    func waitForSlot() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let wait = state.withLock { state -> Bool in
                guard state.inFlight >= configuration.maxInFlight, !state.stopping else { return false }
                state.slotWaiter = continuation
                return true
            }
            if !wait { continuation.resume() }
        }
    }

    func releaseSlotWaiter() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard state.inFlight < configuration.maxInFlight || state.stopping else { return nil }
            defer { state.slotWaiter = nil }
            return state.slotWaiter
        }
        waiter?.resume()
    }

    /// A fetched message enters the in-flight count; returns the assignment generation it
    /// belongs to, or `nil` when it is stale: its partition was revoked, or assigned again, since
    /// it was fetched. Stale messages are dropped; the partition's owner reads them again from the
    /// committed offset.
    func enterFlight(_ message: KafkaConsumerMessage) -> Int? {
        state.withLock { state in
            guard state.owned.contains(message.topicPartition), consumer.isCurrent(message) else {
                state.counters.staleDropped += 1
                return nil
            }
            state.offsets.consumed(message)
            state.inFlight += 1
            state.inFlightByPartition[message.topicPartition, default: 0] += 1
            return state.generation[message.topicPartition] ?? 0
        }
    }

    /// A message leaves flight; when it completed in the assignment it was fetched in, the
    /// contiguous completed prefix of its partition is stored (abandoned messages are
    /// redelivered to the partition's next owner).
    func leaveFlight(_ message: KafkaConsumerMessage, generation: Int, completed: Bool) {
        let next = state.withLock { state -> Int64? in
            state.inFlight -= 1
            let current = state.generation[message.topicPartition] == generation
            let next = completed && current ? state.offsets.completed(message) : nil
            state.inFlightByPartition[message.topicPartition, default: 1] -= 1
            if state.inFlightByPartition[message.topicPartition] == 0 { state.inFlightByPartition[message.topicPartition] = nil }
            return next
        }
        if let next {
            do {
                try consumer.storeOffsets([message.topicPartition: next])
            } catch {
                logger.debug("offset not stored", metadata: ["kafka.error": "\(error)"])
            }
        }
        state.withLock { $0.signalRevokeWaiterIfDone() }
        releaseSlotWaiter()
    }

    /// Applies an assignment change (on the consumer's polling thread). A revocation hands back
    /// the retries waiting out a backoff at once and waits (at most `revokeTimeout`) for the
    /// forwards already under way, so the next owner does not forward them again.
    static func rebalanced(_ event: KafkaRebalanceEvent, state: RouterState, revokeTimeout: Duration, logger: Logger) {
        switch event {
        case .assigned(let partitions):
            state.withLock { state in
                state.owned.formUnion(partitions)
                state.offsets.revoke(partitions)
                for partition in partitions { state.generation[partition, default: 0] += 1 }
            }
        case .revoked(let partitions), .lost(let partitions):
            let semaphore = state.withLock { state -> DispatchSemaphore? in
                state.owned.subtract(partitions)
                state.cancelWaits(in: partitions)
                guard case .revoked = event, partitions.contains(where: { (state.inFlightByPartition[$0] ?? 0) > 0 }) else { return nil }
                let semaphore = DispatchSemaphore(value: 0)
                state.revokeWaiter = RouterState.RevokeWaiter(partitions: partitions, semaphore: semaphore)
                return semaphore
            }
            if let semaphore {
                let timeout = DispatchTime.now() + .milliseconds(Int(revokeTimeout.components.seconds * 1000 + revokeTimeout.components.attoseconds / 1_000_000_000_000_000))
                if semaphore.wait(timeout: timeout) == .timedOut {
                    logger.info("revocation did not wait for every in-flight message", metadata: ["router.partitions": "\(partitions.map(\.description).sorted())"])
                }
            }
            state.withLock { state in
                state.revokeWaiter = nil
                state.offsets.revoke(partitions)
            }
        }
    }
}
