public import Kafka

/// A message a worker took into flight, with the assignment generation it belongs to. Handlers
/// pass it back to the ``WorkerContext`` to publish its outputs, finish it or give it up.
public struct WorkerMessage: Sendable {
    public let kafka: KafkaConsumerMessage
    let generation: Int

    init(_ kafka: KafkaConsumerMessage, generation: Int) {
        self.kafka = kafka
        self.generation = generation
    }

    /// The message's Kafka timestamp as a `Date`-free number, milliseconds since the epoch.
    public var timestampMs: Int64? { kafka.timestampMilliseconds }
}
