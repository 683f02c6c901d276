import Common
import Kafka
public import Logging
public import ServiceLifecycle
public import Signals
import Synchronization

/// A client of the provider agents for workers and batch jobs: sends `provider_request`,
/// `stream_request` and `vision_request` signals — to a router (`llm.router.requests`) or
/// straight to a provider's topic (`llm.requests.<provider>`) — naming its own reply topic, and
/// awaits each final answer by request id.
///
/// ```swift
/// let client = try ProviderClient(configuration: .init(bootstrapServers: "kafka:9092"))
/// try await client.start()
/// let result = try await client.call(ProviderRequest(requestID: id, messages: [.user("Hi")]))
/// print(result.text ?? result.error!.error)
/// await client.shutdown()
/// ```
///
/// - The reply topic (``ProviderClientConfiguration/replyTopic``; default a per-client topic
///   created when missing) is read from its end, with every partition assigned and positioned
///   at its high watermark before ``start()`` returns, so no answer to a request sent after it
///   can be missed. No consumer group: nothing is committed, each start reads from the end.
/// - Delivery is at-least-once, so a request can be answered more than once: the first final
///   answer (`provider_response`, or a `provider_error` without `request`) completes the call,
///   later ones are counted (``duplicates``, ``duplicates(for:)``) and dropped. Answers for
///   request ids this client did not send (a shared reply topic) and `provider_error`s handed
///   back to the routers are ignored and counted (``stats``).
/// - Waiting is cheap: a call is one dictionary entry behind a `Mutex`, completed by the single
///   reader task; one timer task expires calls whose timeout passed.
/// - As a `Service` it starts in ``run()`` and shuts down on graceful shutdown; outside a
///   `ServiceGroup` call ``start()`` and ``shutdown()``. Sends ``start()`` the client themselves.
///   At shutdown every waiting call fails with ``ProviderClientError/Code/shutDown``.
public final class ProviderClient: Service, Sendable {
    public let configuration: ProviderClientConfiguration
    /// The topic answers come back on (every request's `reply_to`).
    public let replyTopic: String
    /// `client/<clientID>`: the `source` of every signal this client sends.
    public let source: String
    let logger: Logger
    let producer: KafkaProducer
    let reader: KafkaConsumer
    let decoder: SignalDecoder
    let book: Mutex<PendingCalls>
    let lifecycle = Mutex(Lifecycle())
    let waiterTokens = Atomic<UInt64>(0)

    /// Where the client is in its life, and its background tasks.
    struct Lifecycle: Sendable {
        enum Phase: Sendable { case created, starting, running, stopped }
        var phase = Phase.created
        var start: Task<Result<Void, ProviderClientError>, Never>?
        var replies: Task<Void, Never>?
        var timer: Task<Void, Never>?
        /// Why reading the reply topic ended, when it failed.
        var failure: ProviderClientError?
        /// Whether each topic requests went to exists (asked once per topic).
        var topicChecks: [String: Task<Result<Void, ProviderClientError>, Never>] = [:]
    }

    /// Creates the Kafka clients; nothing talks to the broker before ``start()``.
    public init(configuration: ProviderClientConfiguration, logger: Logger = Logger(label: "provider-client"))
        throws(ProviderClientError)
    {
        if let problem = configuration.problem() {
            throw ProviderClientError(code: .invalidConfiguration, message: problem)
        }
        self.configuration = configuration
        self.logger = logger
        replyTopic = configuration.effectiveReplyTopic
        source = "client/\(configuration.clientID)"
        decoder = SignalDecoder(maxBytes: configuration.maxAnswerBytes)
        book = Mutex(
            PendingCalls(replyTopic: configuration.effectiveReplyTopic, capacity: configuration.rememberedRequests))
        do {
            producer = try KafkaProducer(configuration: configuration.producerConfiguration, logger: logger)
            reader = try KafkaConsumer(configuration: configuration.readerConfiguration, logger: logger)
        } catch {
            throw ProviderClientError(code: .invalidConfiguration, message: error.message, kafkaError: error)
        }
    }

    // MARK: Lifecycle

    /// Gets the reply topic ready: creates the per-client topic when missing, assigns every
    /// partition at its current end, and starts reading. Returns once answers to anything sent
    /// from now on will be seen. Idempotent; concurrent callers share one start.
    ///
    /// - Throws: ``ProviderClientError/Code/connectionFailed`` naming the address or the topic
    ///   when the broker does not answer or the reply topic is missing (an explicit one) or
    ///   cannot be positioned on within the connect timeout; ``ProviderClientError/Code/shutDown``
    ///   after ``shutdown()``.
    public func start() async throws(ProviderClientError) {
        let task = lifecycle.withLock { state -> Task<Result<Void, ProviderClientError>, Never>? in
            if state.phase == .stopped { return nil }
            if let start = state.start { return start }
            state.phase = .starting
            let start = Task { await self.setUp() }
            state.start = start
            return start
        }
        guard let task else { throw shutDownError() }
        try await task.value.get()
    }

    /// Runs the client as a `Service`: starts it, reads answers until graceful shutdown (or
    /// cancellation), then shuts down. Throws when the start fails or the reply topic stops being
    /// readable.
    public func run() async throws {
        try await start()
        let replies = lifecycle.withLock { $0.replies }
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await replies?.value
            } onCancel: {
                self.stopReading()
            }
        } onGracefulShutdown: {
            self.stopReading()
        }
        await shutdown()
        if let failure = lifecycle.withLock({ $0.failure }) { throw failure }
    }

    /// Stops the client: no more sends, every waiting call fails with
    /// ``ProviderClientError/Code/shutDown`` naming its request, the reader and the timer stop,
    /// requests being sent are flushed. Idempotent.
    public func shutdown() async {
        let (replies, timer) = lifecycle.withLock { state -> (Task<Void, Never>?, Task<Void, Never>?) in
            state.phase = .stopped
            return (state.replies, state.timer)
        }
        failAll(because: ProviderClientError(code: .shutDown, message: "the client was shut down"))
        timer?.cancel()
        replies?.cancel()
        try? await reader.close()
        await replies?.value
        await timer?.value
        await producer.close(timeout: configuration.deliveryTimeout)
        logger.debug("provider client stopped", metadata: [LogKey.replyTopic: "\(replyTopic)"])
    }

    /// Ends the reply reader (it wakes from its poll); ``run()`` then shuts down.
    private func stopReading() {
        lifecycle.withLock { $0.replies }?.cancel()
    }

    func failAll(because error: ProviderClientError) {
        let waiting = book.withLock { $0.close(because: error) }
        for (completion, failure) in waiting { completion(.failure(failure)) }
        if !waiting.isEmpty {
            logger.debug(
                "waiting calls failed",
                metadata: [LogKey.inFlight: "\(waiting.count)", LogKey.reason: "\(error.message)"])
        }
    }

    func shutDownError() -> ProviderClientError {
        lifecycle.withLock { $0.failure } ?? ProviderClientError(code: .shutDown, message: "the client is shut down")
    }

    // MARK: Counters

    /// What the client has seen so far: sent, answered, duplicates, foreign, late, ...
    public var stats: ProviderClientStats { book.withLock { $0.stats } }

    /// Final answers received after the first for a request already answered (dropped).
    public var duplicates: Int { stats.duplicates }

    /// Later final answers received for `requestID` after its first (dropped); `nil` when the
    /// client neither waits for it nor remembers it (``ProviderClientConfiguration/rememberedRequests``).
    public func duplicates(for requestID: String) -> Int? { book.withLock { $0.duplicates(for: requestID) } }
}
