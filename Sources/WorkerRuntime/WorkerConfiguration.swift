public import Kafka

/// What every Kafka worker runs with, whatever it handles. The agent and the router build one
/// from their validated settings; nothing here is parsed from text.
public struct WorkerConfiguration: Sendable {
    /// Who the worker is, in logs, dead letters and journal records (`agent/openai/host-1`).
    public var name: String
    /// The group consumer of the inputs (group id, fetch settings, librdkafka passthrough).
    public var consumer: KafkaConsumerConfiguration
    /// The producer of every output.
    public var producer: KafkaProducerConfiguration
    /// Readers outside the group (the journal, the handler's own followers).
    public var reader: KafkaConsumerConfiguration
    /// The topics consumed in the group.
    public var inputs: [String]
    /// Where messages nobody can answer go.
    public var deadLetterTopic: String
    /// Messages taken in and not finished before fetching waits (backpressure). Default 512.
    public var maxInFlight: Int
    /// Messages waiting out a delay (a router's backoff), besides ``maxInFlight``. Default 100,000.
    public var maxDeferred: Int
    /// Waits up to this long are kept in memory, holding the message's offset; longer ones go
    /// to ``delays`` (when set), so the partition's committed offset moves on. Default 1 s.
    public var shortWaitLimit: Duration
    /// The topic for long waits; `nil`: every wait is kept in memory.
    public var delays: DelayTopic?
    /// The journal (no double calls across crashes and resends); `nil`: none.
    public var journal: JournalConfiguration?
    /// How long a message's outputs may keep failing to publish before the handler's fallback
    /// (an error elsewhere, a dead letter) is used. Default 60 s.
    public var publishTimeout: Duration
    /// At a graceful stop, how long in-flight work may still finish; what is left is abandoned
    /// (not stored: the next owner handles it). Default 30 s.
    public var drainTimeout: Duration
    /// How long the start may wait for the broker before it fails naming the address. Default 10 s.
    public var connectTimeout: Duration
    /// Hears where each message is (benchmarks, metrics); `nil`: nobody listens.
    public var observer: (any WorkerObserver)? = nil

    public init(
        name: String, consumer: KafkaConsumerConfiguration, producer: KafkaProducerConfiguration,
        reader: KafkaConsumerConfiguration, inputs: [String], deadLetterTopic: String, maxInFlight: Int = 512,
        maxDeferred: Int = 100_000, shortWaitLimit: Duration = .seconds(1), delays: DelayTopic? = nil,
        journal: JournalConfiguration? = nil, publishTimeout: Duration = .seconds(60),
        drainTimeout: Duration = .seconds(30),
        connectTimeout: Duration = .seconds(10), observer: (any WorkerObserver)? = nil
    ) {
        self.observer = observer
        self.name = name
        self.consumer = consumer
        self.producer = producer
        self.reader = reader
        self.inputs = inputs
        self.deadLetterTopic = deadLetterTopic
        self.maxInFlight = maxInFlight
        self.maxDeferred = maxDeferred
        self.shortWaitLimit = shortWaitLimit
        self.delays = delays
        self.journal = journal
        self.publishTimeout = publishTimeout
        self.drainTimeout = drainTimeout
        self.connectTimeout = connectTimeout
    }
}
