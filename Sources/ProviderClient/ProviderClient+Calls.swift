import Common
public import Kafka
import Logging
public import Signals

// Sending requests and awaiting their answers.
extension ProviderClient {
    /// Publishes `request` to `topic` (default: the router's `llm.router.requests`) with this
    /// client's reply topic in `reply_to` and the `reply-to` header, keyed by its request id (or
    /// `partition_key`), and returns once the broker acknowledged it. Await the answer with
    /// ``response(for:timeout:)`` (or use ``call(_:as:to:timeout:onChunk:)``, which does both).
    ///
    /// The request is booked before it is published, so its answer is kept however early it
    /// arrives. Starts the client when needed.
    ///
    /// - Parameters:
    ///   - kind: the signal carrying it; default `stream_request` when `request.stream` is true,
    ///     else `provider_request`.
    /// - Throws: ``ProviderClientError/Code/invalidRequest`` when the request names another
    ///   reply topic, ``ProviderClientError/Code/duplicateRequest`` when a request with its id is
    ///   already waiting, ``ProviderClientError/Code/sendFailed`` naming the topic when it does not
    ///   exist or the delivery failed, ``ProviderClientError/Code/shutDown`` after shutdown, and
    ///   whatever ``start()`` throws.
    @discardableResult
    public func send(_ request: ProviderRequest, as kind: ProviderRequestKind? = nil, to topic: String? = nil)
        async throws(ProviderClientError) -> KafkaDeliveryReceipt
    {
        try await publish(request, as: kind, to: topic, onChunk: nil)
    }

    /// Waits for the final answer to a request sent with ``send(_:as:to:)``: its
    /// `provider_response`, or its final `provider_error` (both returned, not thrown), with the
    /// stream's chunks. Returns at once when the answer already arrived.
    ///
    /// - Parameter timeout: from now; default ``ProviderClientConfiguration/defaultTimeout``.
    /// - Throws: ``ProviderClientError/Code/timedOut`` naming the request and the topics,
    ///   ``ProviderClientError/Code/cancelled``, ``ProviderClientError/Code/shutDown``,
    ///   ``ProviderClientError/Code/unknownRequest`` for a request this client did not send (or
    ///   whose answer was already taken), ``ProviderClientError/Code/alreadyAwaited``.
    public func response(for requestID: String, timeout: Duration? = nil) async throws(ProviderClientError)
        -> ProviderCallResult
    {
        let timeout = timeout ?? configuration.defaultTimeout
        return try await wait(for: requestID, deadline: .now + timeout, timeout: timeout)
    }

    /// Sends `request` and waits for its final answer: ``send(_:as:to:)`` then
    /// ``response(for:timeout:)``, with the timeout counted from the call's start.
    ///
    /// - Parameters:
    ///   - timeout: default ``ProviderClientConfiguration/defaultTimeout``. Unless the request has
    ///     its own `expires_at` or `timeout_ms`, it is sent with `timeout_ms` set to it
    ///     (``ProviderClientConfiguration/propagatesTimeout``).
    ///   - onChunk: gets each `stream_chunk` once, in index order, as it arrives (a chunk after a
    ///     gap waits for the missing one). Called on the client's reader task: keep it short.
    public func call(
        _ request: ProviderRequest, as kind: ProviderRequestKind? = nil, to topic: String? = nil,
        timeout: Duration? = nil,
        onChunk: (@Sendable (StreamChunk) -> Void)? = nil
    ) async throws(ProviderClientError) -> ProviderCallResult {
        let timeout = timeout ?? configuration.defaultTimeout
        let deadline = ContinuousClock.now + timeout
        var request = request
        if configuration.propagatesTimeout, request.expiresAt == nil, request.timeoutMs == nil {
            request.timeoutMs = max(1, Int(clamping: ProviderClientConfiguration.milliseconds(timeout)))
        }
        try await publish(request, as: kind, to: topic, onChunk: onChunk)
        return try await wait(for: request.requestID, deadline: deadline, timeout: timeout)
    }

    /// Stops waiting for a request sent with ``send(_:as:to:)`` whose answer will not be taken
    /// (its booking would otherwise stay until shutdown). A waiting ``response(for:timeout:)``
    /// fails with ``ProviderClientError/Code/cancelled``; a later answer counts as late.
    public func discard(_ requestID: String) {
        let completion = book.withLock { $0.discard(requestID) }
        completion?(
            .failure(
                ProviderClientError(
                    code: .cancelled, message: "request '\(requestID)' was discarded", requestID: requestID)))
    }

    // MARK: Internals

    func publish(
        _ request: ProviderRequest, as kind: ProviderRequestKind?, to topic: String?,
        onChunk: PendingCalls.ChunkHandler?
    ) async throws(ProviderClientError) -> KafkaDeliveryReceipt {
        try await start()
        var request = request
        let requestID = request.requestID
        if let replyTo = request.replyTo, replyTo != replyTopic {
            throw ProviderClientError(
                code: .invalidRequest,
                message: "request '\(requestID)' names reply_to '\(replyTo)', but this client reads '\(replyTopic)'",
                requestID: requestID
            )
        }
        request.replyTo = replyTopic
        let destination = topic ?? configuration.routerTopic
        try await checkTopic(destination)
        let envelope = SignalEnvelope((kind ?? .inferred(from: request)).signal(request), source: source)
        let value: [UInt8]
        do {
            value = try envelope.encoded()
        } catch {
            throw ProviderClientError(
                code: .invalidRequest, message: "request '\(requestID)' cannot be encoded: \(error)",
                requestID: requestID)
        }
        let message = KafkaProducerMessage(
            topic: destination, key: envelope.messageKey.map { Array($0.utf8) }, value: value,
            headers: envelope.headers().map { KafkaHeader(key: $0.name, value: $0.value) }
        )
        try book.withLock { (book) throws(ProviderClientError) in
            try book.register(requestID, topic: destination, onChunk: onChunk, at: .now)
        }
        do {
            let receipt = try await producer.send(message)
            book.withLock { $0.sent(requestID, at: .now) }
            return receipt
        } catch {
            let waiter = book.withLock { $0.unregister(requestID) }
            let failure = ProviderClientError(
                code: .sendFailed,
                message: "request '\(requestID)' could not be sent to '\(destination)': \(error.message)",
                requestID: requestID, kafkaError: error
            )
            waiter?(.failure(failure))
            logger.debug(
                "request not sent",
                metadata: [LogKey.requestID: "\(requestID)", LogKey.topic: "\(destination)", LogKey.error: "\(error)"])
            throw failure
        }
    }

    /// The topic must exist (asked once per topic; concurrent first sends share the question).
    private func checkTopic(_ topic: String) async throws(ProviderClientError) {
        let check = lifecycle.withLock { state -> Task<Result<Void, ProviderClientError>, Never> in
            if let known = state.topicChecks[topic] { return known }
            let task = Task { await self.topicExists(topic) }
            state.topicChecks[topic] = task
            return task
        }
        let outcome = await check.value
        if case .failure = outcome {
            // Asked again next time (the topic may be created meanwhile).
            lifecycle.withLock { state in
                if state.topicChecks[topic] == check { state.topicChecks[topic] = nil }
            }
        }
        try outcome.get()
    }

    private func topicExists(_ topic: String) async -> Result<Void, ProviderClientError> {
        do {
            _ = try await producer.metadata(timeout: configuration.connectTimeout).partitionCount(of: topic)
            return .success(())
        } catch {
            let message =
                error.code == .unknownTopic
                ? "topic '\(topic)' does not exist on the cluster at \(configuration.common.bootstrapServers)"
                : "could not check topic '\(topic)': \(error.message)"
            return .failure(ProviderClientError(code: .sendFailed, message: message, kafkaError: error))
        }
    }

    func wait(for requestID: String, deadline: ContinuousClock.Instant, timeout: Duration)
        async throws(ProviderClientError) -> ProviderCallResult
    {
        let token = waiterTokens.add(1, ordering: .relaxed).newValue
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation {
                (continuation: CheckedContinuation<Result<ProviderCallResult, ProviderClientError>, Never>) in
                let immediate = self.book.withLock { book in
                    // Cancellation is checked under the lock the cancellation handler takes.
                    book.attach(
                        requestID, token: token, deadline: deadline, timeout: timeout, cancelled: Task.isCancelled
                    ) { result in
                        continuation.resume(returning: result)
                    }
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            self.book.withLock { $0.cancel(requestID, token: token) }?(.failure(PendingCalls.cancelled(requestID)))
        }
        return try result.get()
    }
}
