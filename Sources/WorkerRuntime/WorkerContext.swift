import Common
import CoreMetrics
import Foundation
public import Kafka
public import Logging
import Synchronization

/// What a ``WorkerHandler`` works with: the worker's producer, consumer, outbox and journal, and
/// the ways a message ends. One per worker, made by ``KafkaWorker``.
///
/// Every message taken into flight ends exactly once: published (``publish(_:for:fallback:)``,
/// then its offset is stored once every earlier message of its partition ended too), finished
/// with nothing to publish (``finish(_:)``), dead-lettered (``deadLetter(_:code:reason:)``), or
/// abandoned (``abandon(_:)``: not stored, so the partition's next owner handles it again).
public final class WorkerContext: WorkerIO, Sendable {
    /// A deferred message's due action.
    enum DeferredAction: Sendable {
        /// Publish these outputs (their wait is over), then finish the message.
        case publish([KafkaProducerMessage], fallback: Fallback?)
        /// A delay-topic message leaves its tier: look at it again.
        case reconsider
    }

    public typealias Fallback = @Sendable (PublishOutcome) -> [KafkaProducerMessage]?

    struct Core: Sendable {
        var window: KafkaInFlightWindow
        var lifecycle = WorkerLifecycle()
        var deferrals = DeferralQueue<DeferredAction>()
        var counters = WorkerCounters()
    }

    public let configuration: WorkerConfiguration
    public let logger: Logger
    public let producer: KafkaProducer
    public let consumer: KafkaConsumer
    public let outbox: Outbox
    /// The journal, when the configuration has one.
    public let journal: Journal?
    let core: Mutex<Core>
    let jobs = BatchQueue<@Sendable () async -> Void>()
    /// Where publish retries and dead letters are counted.
    private let metrics: any MetricsFactory
    /// `provider_agents.consumer.lag` of this worker.
    private let lagGauge: Gauge
    private let wallClock: @Sendable () -> Int64

    init(
        configuration: WorkerConfiguration, logger: Logger, relay: RebalanceRelay,
        metrics: any MetricsFactory = MetricsSystem.factory,
        wallClock: @escaping @Sendable () -> Int64 = WallClock.nowMs
    ) throws(KafkaError) {
        self.configuration = configuration
        self.metrics = metrics
        lagGauge = Gauge(
            label: MetricName.consumerLag, dimensions: [(MetricAttribute.worker, configuration.name)], factory: metrics)
        self.logger = logger
        self.wallClock = wallClock
        producer = try KafkaProducer(configuration: configuration.producer, logger: logger)
        consumer = try KafkaConsumer(configuration: configuration.consumer, logger: logger) { event in
            relay.rebalanced(event)
        }
        outbox = Outbox(
            producer: producer, logger: logger,
            retries: Counter(
                label: MetricName.publishRetries, dimensions: [(MetricAttribute.worker, configuration.name)],
                factory: metrics))
        let outbox = outbox
        journal = configuration.journal.map {
            Journal(
                configuration: $0, worker: configuration.name, outbox: outbox,
                readerConfiguration: configuration.reader,
                logger: logger, clock: wallClock)
        }
        core = Mutex(Core(window: KafkaInFlightWindow(capacity: configuration.maxInFlight)))
    }

    /// Milliseconds since the epoch, as the worker's clock says.
    public var nowMs: Int64 { wallClock() }

    public var name: String { configuration.name }

    // MARK: How a message ends

    public func observe(_ stage: WorkerStage, _ message: WorkerMessage) {
        configuration.observer?.observe(stage, key: message.kafka.key, at: .now)
    }

    /// The message is done and had nothing (more) to publish.
    public func finish(_ message: WorkerMessage) {
        configuration.observer?.observe(.finished, key: message.kafka.key, at: .now)
        let departure = core.withLock { core in
            core.counters.finished += 1
            return core.window.leave(message.kafka, generation: message.generation, completed: true)
        }
        consumer.settle(departure, of: message.kafka)
    }

    /// The message is given up: its offset is not stored, so it is handled again by the
    /// partition's next owner (after a revocation, a restart).
    public func abandon(_ message: WorkerMessage) {
        let departure = core.withLock { core in
            core.counters.abandoned += 1
            return core.window.leave(message.kafka, generation: message.generation, completed: false)
        }
        consumer.settle(departure, of: message.kafka)
    }

    /// Publishes the message's outputs (in order within each partition), then finishes it.
    ///
    /// An output carrying a ``DelayTopic/Header/dueMs`` header in the future is held until then:
    /// in memory for waits up to ``WorkerConfiguration/shortWaitLimit`` (the message waits
    /// outside the in-flight bound, its offset held), else in the delay topic (the message
    /// finishes now). When the broker refuses an output for good, or the publish timeout passes,
    /// `fallback` says what to publish instead (an error where the client can read it); without
    /// one, or when that fails too, the message is dead-lettered. At shutdown the message is
    /// abandoned.
    public func publish(_ outputs: [KafkaProducerMessage], for message: WorkerMessage, fallback: Fallback? = nil) {
        let now = wallClock()
        var latestDue: Int64?
        for output in outputs {
            if let due = Self.dueMs(of: output), due > now { latestDue = max(latestDue ?? due, due) }
        }
        guard let due = latestDue else {
            // Usually nothing to strip: the outputs go as they are, without a copy.
            let plain = outputs.contains(where: Self.isDelayed) ? outputs.map(Self.undelayed) : outputs
            send(plain, for: message, fallback: fallback)
            return
        }
        let wait = Duration.milliseconds(due - now)
        if let delays = configuration.delays, wait > configuration.shortWaitLimit {
            // Long: the delay topic holds the outputs; this message is finished once they are in it.
            let held = outputs.map { output -> KafkaProducerMessage in
                guard let due = Self.dueMs(of: output), due > now else { return Self.undelayed(output) }
                return delays.delayed(Self.undelayed(output), dueMs: due, nowMs: now)
            }
            core.withLock { $0.counters.delayed += 1 }
            send(held, for: message, fallback: fallback)
        } else {
            hold(message, until: .now + wait, action: .publish(outputs.map(Self.undelayed), fallback: fallback))
        }
    }

    /// Publishes the message's bytes to the dead-letter topic with the reason, then finishes it
    /// (a dead letter too large is cut to fit).
    public func deadLetter(_ message: WorkerMessage, code: String, reason: String) {
        logger.warning(
            "message dead-lettered",
            metadata: [
                LogKey.topic: "\(message.kafka.topic)", LogKey.partition: "\(message.kafka.partition)",
                LogKey.offset: "\(message.kafka.offset)", LogKey.code: "\(code)", LogKey.reason: "\(reason)",
            ])
        let letter = DeadLetter.message(
            for: message.kafka, code: code, reason: reason, worker: configuration.name,
            topic: configuration.deadLetterTopic
        )
        core.withLock { $0.counters.deadLettered += 1 }
        Counter(
            label: MetricName.deadLetters,
            dimensions: [(MetricAttribute.worker, configuration.name), (MetricAttribute.code, code)], factory: metrics
        ).increment()
        sendDeadLetter(letter, for: message)
    }

    private func sendDeadLetter(_ letter: KafkaProducerMessage, for message: WorkerMessage) {
        outbox.publish(letter, deadline: .now + configuration.publishTimeout) { outcome in
            switch outcome {
            case .published:
                self.finish(message)
            case .closed:
                self.abandon(message)
            case .rejected(let error, _) where error.code == .messageTooLarge:
                self.sendDeadLetter(DeadLetter.truncated(letter), for: message)
            case .rejected(let error, _):
                self.logger.error(
                    "dead letter refused; the message is skipped",
                    metadata: [
                        LogKey.topic: "\(message.kafka.topic)", LogKey.offset: "\(message.kafka.offset)",
                        LogKey.error: "\(error)",
                    ])
                self.finish(message)
            case .expired:
                // The dead-letter topic cannot be written now: keep trying, the partition waits.
                self.sendDeadLetter(letter, for: message)
            }
        }
    }

    private func send(_ outputs: [KafkaProducerMessage], for message: WorkerMessage, fallback: Fallback?) {
        outbox.publish(outputs, deadline: .now + configuration.publishTimeout) { outcome in
            switch outcome {
            case .published:
                self.finish(message)
            case .closed:
                self.abandon(message)
            case .rejected, .expired:
                guard let alternative = fallback?(outcome), !alternative.isEmpty else {
                    self.deadLetter(
                        message, code: "unanswerable", reason: "its answer could not be published: \(outcome.reason)")
                    return
                }
                self.core.withLock { $0.counters.fellBack += 1 }
                self.outbox.publish(alternative, deadline: .now + self.configuration.publishTimeout) { second in
                    switch second {
                    case .published: self.finish(message)
                    case .closed: self.abandon(message)
                    case .rejected, .expired:
                        self.deadLetter(
                            message, code: "unanswerable",
                            reason: "neither its answer nor the fallback could be published: \(second.reason)")
                    }
                }
            }
        }
    }

    // MARK: Waiting and async work

    /// Runs `job` as a child task of the worker (a provider call). Jobs are cancelled when the
    /// drain deadline passes or the worker is cancelled: a job must then end its message
    /// (usually ``abandon(_:)``).
    public func submit(_ job: @escaping @Sendable () async -> Void) {
        jobs.append(job)
    }

    func finishJobs() {
        jobs.finish()
    }

    /// Parks `message` outside the in-flight bound until `due`, then runs `action`.
    func hold(_ message: WorkerMessage, until due: ContinuousClock.Instant, action: DeferredAction) {
        let departure = core.withLock { core -> KafkaInFlightWindow.Departure in
            if case .publish = action { core.counters.deferredInMemory += 1 }
            core.deferrals.insert(due: due, message: message, action: action)
            return core.window.deferMessage(message.kafka, generation: message.generation)
        }
        departure.wake()
    }

    /// Runs what is due; returns when to look again.
    func fireDue(at now: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        let (due, next) = core.withLock { core in
            (core.deferrals.popDue(at: now), core.deferrals.nextDue)
        }
        for entry in due {
            let dropped = core.withLock {
                $0.window.resumeDeferred(entry.message.kafka, generation: entry.message.generation)
            }
            if let dropped {
                consumer.settle(dropped, of: entry.message.kafka)
                continue
            }
            switch entry.action {
            case .publish(let outputs, let fallback): send(outputs, for: entry.message, fallback: fallback)
            case .reconsider: reconsiderDelayed(entry.message)
            }
        }
        return next
    }

    /// Drops deferred messages (of `partitions`, or all): not stored, their next owner handles them.
    func dropDeferred(in partitions: Set<TopicPartition>?) {
        let departures = core.withLock { core -> [(KafkaInFlightWindow.Departure, KafkaConsumerMessage)] in
            core.deferrals.remove(in: partitions).map { entry in
                core.counters.abandoned += 1
                return (core.window.dropDeferred(entry.message.kafka), entry.message.kafka)
            }
        }
        for (departure, message) in departures { consumer.settle(departure, of: message) }
    }

    // MARK: The delay topic

    /// A message of the delay topic: published when due, moved to a shorter tier, or held until
    /// it leaves its tier.
    func reconsiderDelayed(_ message: WorkerMessage) {
        guard let delays = configuration.delays, let read = DelayTopic.read(message.kafka) else {
            deadLetter(
                message, code: "invalidDelay", reason: "a message on the delay topic without readable delay headers")
            return
        }
        let now = wallClock()
        if read.releaseMs > now {
            self.hold(message, until: .now + .milliseconds(read.releaseMs - now), action: .reconsider)
            return
        }
        let remaining = Duration.milliseconds(max(0, read.dueMs - now))
        if remaining <= configuration.shortWaitLimit {
            if remaining > .zero {
                self.hold(message, until: .now + remaining, action: .publish([read.output], fallback: nil))
            } else {
                send([read.output], for: message, fallback: nil)
            }
        } else {
            send([delays.delayed(read.output, dueMs: read.dueMs, nowMs: now)], for: message, fallback: nil)
        }
    }

    // MARK: Journal

    public func claim(
        _ key: JournalKey, for message: WorkerMessage, _ completion: @escaping @Sendable (JournalClaim) -> Void
    ) {
        guard let journal else {
            completion(.claimed(recall: false))
            return
        }
        journal.claim(key, input: message.kafka.topicPartition, messageTimestampMs: message.timestampMs, completion)
    }

    public func begin(_ key: JournalKey, for message: WorkerMessage, _ completion: @escaping @Sendable (Bool) -> Void) {
        guard let journal else {
            completion(true)
            return
        }
        journal.begin(key, requestOffset: message.kafka.offset, input: message.kafka.topicPartition, completion)
    }

    public func record(
        _ key: JournalKey, outputs: [KafkaProducerMessage], for message: WorkerMessage, fallback: Fallback?
    ) {
        guard let journal else {
            publish(outputs, for: message, fallback: fallback)
            return
        }
        // The record is acknowledged before any output goes out: a crash between them leaves a
        // `done` record whose outputs the next owner publishes (byte for byte), never outputs
        // without a record (which would call again).
        journal.record(key, outputs: outputs, requestOffset: message.kafka.offset, input: message.kafka.topicPartition)
        { outcome in
            switch outcome {
            case .published: self.publish(outputs, for: message, fallback: fallback)
            case .closed: self.abandon(message)
            case .rejected, .expired:
                // Nothing recorded (the journal topic cannot be written): the answer still goes out.
                self.publish(outputs, for: message, fallback: fallback)
            }
        }
    }

    public func release(_ key: JournalKey, for message: WorkerMessage) {
        journal?.release(key, input: message.kafka.topicPartition)
    }

    public func publishAside(_ outputs: [KafkaProducerMessage], _ done: @escaping @Sendable (PublishOutcome) -> Void) {
        outbox.publish(outputs, deadline: .now + configuration.publishTimeout, done)
    }

    // MARK: State

    /// Whether `message` still belongs to the assignment it was fetched in (a draining worker
    /// still finishes what it took in).
    public func isCurrent(_ message: WorkerMessage) -> Bool {
        core.withLock { $0.window.isCurrent(message.kafka, generation: message.generation) }
    }

    /// Messages in flight and waiting out a delay now.
    public var load: (inFlight: Int, deferred: Int) {
        core.withLock { ($0.window.count, $0.window.deferred) }
    }

    /// Records the messages waiting in the owned partitions after the consumer's position (no
    /// broker round trip: from the last fetched high watermarks).
    func recordLag() {
        let owned = ownedPartitions
        lagGauge.record(owned.reduce(Int64(0)) { $0 + (consumer.lag($1) ?? 0) })
    }

    /// The partitions owned now.
    public var ownedPartitions: Set<TopicPartition> {
        core.withLock { $0.window.owned }
    }

    public var counters: WorkerCounters {
        core.withLock { core in
            var counters = core.counters
            counters.staleDropped = core.window.staleDropped
            return counters
        }
    }

    public var lifecycleState: WorkerLifecycle.State {
        core.withLock { $0.lifecycle.state }
    }

    // MARK: Helpers

    static func dueMs(of output: KafkaProducerMessage) -> Int64? {
        output.headers.first { $0.key == DelayTopic.Header.dueMs }?.stringValue.flatMap { Int64($0) }
    }

    static func undelayed(_ output: KafkaProducerMessage) -> KafkaProducerMessage {
        guard isDelayed(output) else { return output }
        var plain = output
        plain.headers.removeAll { $0.key.hasPrefix("delay-") }
        return plain
    }

    /// Whether `output` carries delay headers.
    static func isDelayed(_ output: KafkaProducerMessage) -> Bool {
        output.headers.contains { $0.key.hasPrefix("delay-") }
    }
}

extension PublishOutcome {
    /// Why it was not published, in words.
    public var reason: String {
        switch self {
        case .published: "published"
        case .rejected(let error, _): error.description
        case .expired(let error?): "not acknowledged before the publish timeout (\(error))"
        case .expired(nil): "not acknowledged before the publish timeout"
        case .closed: "the worker stopped"
        }
    }
}

/// Hands the consumer's rebalance callbacks to the worker once it exists (the consumer is made
/// before the worker can be referred to).
final class RebalanceRelay: Sendable {
    private let target = Mutex<(@Sendable (KafkaRebalanceEvent) -> Void)?>(nil)

    func connect(_ handler: @escaping @Sendable (KafkaRebalanceEvent) -> Void) {
        target.withLock { $0 = handler }
    }

    func rebalanced(_ event: KafkaRebalanceEvent) {
        target.withLock { $0 }?(event)
    }
}
