import Common
public import CoreMetrics
public import Kafka
public import Logging
public import ServiceLifecycle
import Synchronization

/// The one runtime every consume → handle → publish process is built from: a ``WorkerHandler``
/// plus a ``WorkerConfiguration``.
///
/// `run()` owns one task group for the whole process; nothing it starts outlives it:
/// - the **reader** (the group's own task): fetches batches, holds at most `maxInFlight`
///   messages in flight (it parks when full: backpressure, no pause/resume), drops messages of
///   partitions revoked since they were fetched, and hands each message to the handler — or,
///   for the delay topic, handles it itself;
/// - **jobs** the handler submits (provider calls), as child tasks;
/// - the **outbox**'s retries, the **journal**'s reads, the **timer** of deferred messages;
/// - the handler's **companions** (status publisher, topic followers).
///
/// Offsets: a message's offset is stored when it and every earlier message of its partition
/// ended (``KafkaInFlightWindow``); stored offsets are committed every commit interval, at
/// revocations and at the end. Revocations wait (bounded by the drain timeout) for the in-flight
/// messages of the revoked partitions; deferred ones are handed back at once.
///
/// Lifecycle (``WorkerLifecycle``): a graceful stop (`shutdown()`, the service group's graceful
/// shutdown) stops fetching, drops deferred messages, lets in-flight ones finish until the drain
/// timeout, cancels what is left (not stored), commits, leaves the group, lets the handler say
/// its last words and flushes the producer. Cancellation abandons at once.
public final class KafkaWorker<Handler: WorkerHandler>: Service, Sendable {
    public let handler: Handler
    /// What the handler works with (publishing, the journal, counters).
    public let context: WorkerContext
    private let parkedReader = Mutex<CheckedContinuation<Void, Never>?>(nil)

    /// - Parameter metrics: where the worker counts its publish retries and dead letters
    ///   (docs/monitoring.md); by default the process's `MetricsSystem`.
    public init(
        configuration: WorkerConfiguration, handler: Handler, logger: Logger,
        metrics: any MetricsFactory = MetricsSystem.factory
    ) throws(KafkaError) {
        guard configuration.maxInFlight > 0 else {
            throw KafkaError(
                code: .invalidConfiguration, message: "maxInFlight must be at least 1, got \(configuration.maxInFlight)"
            )
        }
        guard !configuration.inputs.isEmpty else {
            throw KafkaError(code: .invalidConfiguration, message: "a worker needs at least one input topic")
        }
        self.handler = handler
        let relay = RebalanceRelay()
        context = try WorkerContext(configuration: configuration, logger: logger, relay: relay, metrics: metrics)
        let context = context
        relay.connect { [handler] event in Self.rebalanced(event, context: context, handler: handler) }
    }

    private var configuration: WorkerConfiguration { context.configuration }
    private var logger: Logger { context.logger }

    // MARK: Running

    /// Runs the worker until a graceful stop or cancellation; throws when the start fails or
    /// the inputs cannot be read (after stopping cleanly).
    public func run() async throws {
        guard context.core.withLock({ $0.lifecycle.start() }) == .start else { return }
        var failure: (any Error)?
        do {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { await self.context.outbox.run() }
                if let journal = self.context.journal { group.addTask { await journal.run() } }
                group.addTask { await self.runJobs() }
                group.addTask { await self.runTimer() }
                group.addTask { await self.runGauges() }
                try await self.start()
                for companion in self.handler.companions(self.context) {
                    group.addTask { await companion() }
                }
                self.logger.info(
                    "worker started",
                    metadata: [
                        LogKey.worker: "\(self.configuration.name)", LogKey.topic: "\(self.configuration.inputs)",
                    ])
                do {
                    try await withGracefulShutdownHandler {
                        try await self.read()
                    } onGracefulShutdown: {
                        self.shutdown()
                    }
                } catch {
                    failure = error
                    self.logger.error(
                        "worker stopped reading",
                        metadata: [LogKey.worker: "\(self.configuration.name)", LogKey.error: "\(error)"])
                    _ = self.context.core.withLock { $0.lifecycle.fail("\(error)") }
                    self.beginDrain()
                }
                await self.drain()
                group.cancelAll()
            }
        } catch {
            failure = failure ?? error
            if case .abandonStart = context.core.withLock({ $0.lifecycle.fail("\(error)") }) {
                logger.error(
                    "worker did not start",
                    metadata: [LogKey.worker: "\(configuration.name)", LogKey.error: "\(error)"])
            }
        }
        await close()
        if let failure { throw failure }
    }

    /// Stops the worker gracefully (for use outside a `ServiceGroup`): see ``run()``.
    public func shutdown() {
        if case .beginDrain = context.core.withLock({ $0.lifecycle.stop() }) { beginDrain() }
    }

    /// Checks the topics (inputs and journal first, the dead-letter topic after the handler's
    /// own checks), lets the handler prepare, joins the group.
    private func start() async throws {
        let metadata = try await context.consumer.metadata(timeout: configuration.connectTimeout)
        for input in configuration.inputs { _ = try metadata.partitionCount(of: input) }
        if let journal = configuration.journal {
            let journalPartitions = try metadata.partitionCount(of: journal.topic)
            for input in configuration.inputs where input != configuration.delays?.name {
                let partitions = try metadata.partitionCount(of: input)
                guard partitions <= journalPartitions else {
                    throw KafkaError(
                        code: .invalidConfiguration,
                        message:
                            """
                            journal topic '\(journal.topic)' has \(journalPartitions) partitions but '\(input)' \
                            has \(partitions); it needs at least as many
                            """
                    )
                }
            }
        }
        if let delays = configuration.delays {
            let partitions = try metadata.partitionCount(of: delays.name)
            guard partitions >= delays.tiers.count else {
                throw KafkaError(
                    code: .invalidConfiguration,
                    message:
                        """
                        delay topic '\(delays.name)' has \(partitions) partitions but \(delays.tiers.count) tiers \
                        are configured
                        """
                )
            }
        }
        try await handler.prepare(context)
        _ = try metadata.partitionCount(of: configuration.deadLetterTopic)
        try context.consumer.subscribe(topics: configuration.inputs)
        if case .beginDrain = context.core.withLock({ $0.lifecycle.started() }) { beginDrain() }
    }

    /// The reader: fetch, bound, hand out.
    private func read() async throws {
        let consumer = context.consumer
        let delayTopic = configuration.delays?.name
        reading: while context.core.withLock({ $0.lifecycle.isFetching }) {
            await waitForRoom()
            guard let batch = try await consumer.pollBatch() else { break }
            for message in batch {
                await waitForRoom()
                let generation = context.core.withLock { core -> Int? in
                    guard core.lifecycle.isFetching else { return -1 }
                    return core.window.enter(message, isCurrent: consumer.isCurrent(message))
                }
                guard let generation else { continue }
                guard generation >= 0 else { break reading }
                let taken = WorkerMessage(message, generation: generation)
                configuration.observer?.observe(.fetched, key: message.key, at: .now)
                if message.topic == delayTopic {
                    context.reconsiderDelayed(taken)
                } else {
                    handler.handle(taken, context)
                }
            }
        }
    }

    /// Backpressure: returns at once while there is room, else when a message leaves (or the
    /// worker stops).
    private func waitForRoom() async {
        let full = context.core.withLock { core in
            core.window.count >= core.window.capacity || core.window.deferred >= configuration.maxDeferred
        }
        guard full else { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let parked = context.core.withLock { core -> Bool in
                if core.window.deferred >= configuration.maxDeferred, core.window.count < core.window.capacity,
                    !core.window.isStopping
                {
                    // Too many waits: hold the reader until one ends (the timer wakes it).
                    parkedReader.withLock { $0 = continuation }
                    return true
                }
                return core.window.parkReader(continuation)
            }
            if !parked { continuation.resume() }
        }
    }

    private func beginDrain() {
        let reader = context.core.withLock { $0.window.stop() }
        reader?.resume()
        parkedReader.withLock { parked in
            parked?.resume()
            parked = nil
        }
        try? context.consumer.pause(context.consumer.assignment)
        context.consumer.wake()
        // Retries waiting out a delay are handed back now: their next owner continues them.
        context.dropDeferred(in: nil)
    }

    /// Waits until nothing is in flight, at most the drain timeout.
    private func drain() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    if !self.context.core.withLock({ $0.window.waitUntilEmpty(continuation) }) { continuation.resume() }
                }
            }
            group.addTask {
                try? await Task.sleep(for: self.configuration.drainTimeout)
                let left = self.context.load
                if left.inFlight > 0 {
                    self.logger.warning(
                        "drain timeout reached, abandoning in-flight messages",
                        metadata: [
                            LogKey.worker: "\(self.configuration.name)", LogKey.inFlight: "\(left.inFlight)",
                        ])
                }
                self.context.core.withLock { $0.window.releaseEmptyWaiter() }?.resume()
            }
            await group.next()
            group.cancelAll()
        }
        context.finishJobs()
    }

    private func close() async {
        // A worker that never ran (the broker did not answer, a topic is missing) has nothing to
        // commit and nothing to say: no final status to a broker that may not answer.
        let ran = context.core.withLock { $0.lifecycle.hasRun }
        context.journal?.close()
        if ran {
            try? await context.consumer.commit()
        }
        try? await context.consumer.close()
        if ran { await handler.stopped(context) }
        context.outbox.close()
        await context.producer.close()
        context.core.withLock { $0.lifecycle.closed() }
        logger.info("worker stopped", metadata: [LogKey.worker: "\(configuration.name)"])
    }

    // MARK: Jobs and the timer

    private func runJobs() async {
        await withDiscardingTaskGroup { group in
            while true {
                let batch = await context.jobs.next()
                // Cancelled (the worker is abandoned): jobs not started yet are not started, so
                // no provider is called for a message nobody will answer.
                if batch.isEmpty || Task.isCancelled { break }
                for job in batch { group.addTask { await job() } }
            }
        }
    }

    /// Records the consumer lag every second (docs/monitoring.md).
    private func runGauges() async {
        while !Task.isCancelled {
            context.recordLag()
            try? await Task.sleep(for: .seconds(1))
        }
    }

    private func runTimer() async {
        while !Task.isCancelled {
            let next = context.fireDue(at: .now)
            let hasRoom = context.core.withLock { $0.window.deferred < configuration.maxDeferred }
            if hasRoom,
                let reader = parkedReader.withLock({ parked -> CheckedContinuation<Void, Never>? in
                    defer { parked = nil }
                    return parked
                })
            {
                reader.resume()
            }
            let tick = ContinuousClock.now + .milliseconds(10)
            try? await Task.sleep(until: min(next ?? tick, tick), clock: .continuous)
        }
    }

    // MARK: Rebalances

    /// On the consumer's polling thread.
    private static func rebalanced(_ event: KafkaRebalanceEvent, context: WorkerContext, handler: Handler) {
        let journaled = event.partitions.filter { $0.topic != context.configuration.delays?.name }
        switch event {
        case .assigned(let partitions):
            context.configuration.observer?.assigned(partitions, at: .now)
            context.core.withLock { $0.window.assign(partitions) }
            context.journal?.assigned(journaled)
            handler.assignmentChanged(event, context)
        case .revoked(let partitions), .lost(let partitions):
            let wait = context.core.withLock { core in
                core.window.beginRevoke(partitions, waitForInFlight: event == .revoked(partitions))
            }
            context.dropDeferred(in: partitions)
            if let wait, !wait.wait(timeout: context.configuration.drainTimeout) {
                context.logger.warning(
                    "revocation did not wait for every in-flight message",
                    metadata: [
                        LogKey.worker: "\(context.configuration.name)",
                        LogKey.partitions: "\(partitions.map(\.description).sorted())",
                    ])
            }
            context.core.withLock { $0.window.endRevoke(partitions) }
            context.journal?.revoked(journaled)
            handler.assignmentChanged(event, context)
        }
    }
}
