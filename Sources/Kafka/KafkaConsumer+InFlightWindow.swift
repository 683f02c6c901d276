import Common

extension KafkaConsumer {
    /// Performs what a message's departure from a ``KafkaInFlightWindow`` asks, after the
    /// owner's lock is released: stores the partition's next offset, if its completed prefix
    /// grew, then wakes the parked reader and a waiting revocation. A store for a partition
    /// revoked meanwhile is dropped (its next owner reads the message again).
    public func settle(_ departure: KafkaInFlightWindow.Departure, of message: KafkaConsumerMessage) {
        if let next = departure.offsetToStore {
            do {
                try storeOffsets([message.topicPartition: next])
            } catch {
                logger.debug(
                    "offset not stored",
                    metadata: [LogKey.partition: "\(message.topicPartition)", LogKey.error: "\(error)"])
            }
        }
        departure.wake()
    }
}
