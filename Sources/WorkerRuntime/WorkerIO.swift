public import Kafka
public import Logging

/// Everything a ``WorkerHandler`` does to the world, as one protocol: publishing, ending
/// messages, async jobs, the journal. ``WorkerContext`` does it over Kafka; ``InProcessWorker``
/// does it in memory, so a handler's every rule is tested in milliseconds without a broker, and
/// the broker tests only prove the wiring.
public protocol WorkerIO: Sendable {
    /// The worker's name (`agent/openai/host-1`), in outputs' `source`, dead letters, journal records.
    var name: String { get }
    var logger: Logger { get }
    /// Milliseconds since the epoch, as the worker's clock says.
    var nowMs: Int64 { get }

    /// Publishes the message's outputs, then finishes it; see ``WorkerContext/publish(_:for:fallback:)``.
    func publish(_ outputs: [KafkaProducerMessage], for message: WorkerMessage, fallback: WorkerContext.Fallback?)
    /// Publishes messages that do not end a message (stream chunks, statuses); `done` gets the
    /// outcome on an arbitrary thread.
    func publishAside(_ outputs: [KafkaProducerMessage], _ done: @escaping @Sendable (PublishOutcome) -> Void)
    /// The message is done with nothing (more) to publish: its offset may be stored.
    func finish(_ message: WorkerMessage)
    /// The message is given up unstored: the partition's next owner handles it again.
    func abandon(_ message: WorkerMessage)
    /// The message goes to the dead-letter topic with `code` and `reason`, then is finished.
    func deadLetter(_ message: WorkerMessage, code: String, reason: String)
    /// Runs `job` as a child task of the worker (cancelled at the drain deadline).
    func submit(_ job: @escaping @Sendable () async -> Void)
    /// Whether the message still belongs to the assignment it was fetched in.
    func isCurrent(_ message: WorkerMessage) -> Bool
    /// Tells the observer, if any, that `message` reached `stage`.
    func observe(_ stage: WorkerStage, _ message: WorkerMessage)

    /// Asks the journal about `key` for `message` (see ``JournalClaim``).
    func claim(_ key: JournalKey, for message: WorkerMessage, _ completion: @escaping @Sendable (JournalClaim) -> Void)
    /// Writes `started` for a claimed key; `completion(true)` once acknowledged.
    func begin(_ key: JournalKey, for message: WorkerMessage, _ completion: @escaping @Sendable (Bool) -> Void)
    /// Writes `done` with the outputs, then publishes them and finishes the message (as
    /// ``publish(_:for:fallback:)``); waiting copies get the outputs.
    func record(
        _ key: JournalKey, outputs: [KafkaProducerMessage], for message: WorkerMessage,
        fallback: WorkerContext.Fallback?)
    /// A claimed key ends without a record: waiting copies claim again.
    func release(_ key: JournalKey, for message: WorkerMessage)
}
