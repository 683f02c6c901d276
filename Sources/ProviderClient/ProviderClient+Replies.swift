import Common
import Kafka
import Logging
import Signals

// The reply reader and the timer: the only two tasks a client runs, however many calls wait.
extension ProviderClient {
    /// Reads the reply topic until the reader is closed or cancelled; a reply topic that cannot
    /// be read any more fails every waiting call and the client.
    func readReplies() async {
        do {
            for try await message in reader.messages {
                handle(message)
            }
        } catch {
            let failure = ProviderClientError(
                code: .replyTopicLost, message: "reply topic '\(replyTopic)' can no longer be read: \(error.message)",
                kafkaError: error
            )
            logger.info(
                "reply topic no longer read", metadata: [LogKey.replyTopic: "\(replyTopic)", LogKey.error: "\(error)"])
            lifecycle.withLock { state in
                state.failure = failure
                state.phase = .stopped
            }
            failAll(because: failure)
        }
    }

    /// One message of the reply topic: answers the call it concerns, or is counted and dropped.
    func handle(_ message: KafkaConsumerMessage) {
        // On a shared reply topic most answers are someone else's: skip those without decoding.
        if let requestID = message.header(SignalHeader.requestID)?.stringValue, !requestID.isEmpty {
            let known = book.withLock { book -> Bool in
                if book.knows(requestID) { return true }
                book.countForeign()
                return false
            }
            guard known else {
                logger.trace("answer for another client ignored", metadata: [LogKey.requestID: "\(requestID)"])
                return
            }
        }
        let envelope: SignalEnvelope
        do {
            envelope = try decoder.decode(message.value)
        } catch {
            book.withLock { $0.countUndecodable() }
            logger.debug(
                "reply not decodable",
                metadata: [
                    LogKey.partition: "\(message.partition)", LogKey.offset: "\(message.offset)",
                    LogKey.error: "\(error.message)",
                ])
            return
        }
        let now = ContinuousClock.now
        let (delivery, disposition) = book.withLock { $0.receive(envelope.signal, envelope: envelope, at: now) }
        switch delivery {
        case .chunks(let handler, let chunks)?:
            for chunk in chunks { handler(chunk) }
        case .complete(let completion, let result)?:
            completion(result)
        case nil:
            break
        }
        let requestID = envelope.signal.requestID ?? ""
        switch disposition {
        case .duplicate(let count):
            logger.debug(
                "duplicate answer dropped", metadata: [LogKey.requestID: "\(requestID)", LogKey.duplicates: "\(count)"])
        case .late:
            logger.debug("answer after the call gave up dropped", metadata: [LogKey.requestID: "\(requestID)"])
        case .otherRun:
            var run = "none"
            if case .streamChunk(let chunk) = envelope.signal, let named = chunk.run { run = named }
            logger.debug(
                "chunk of another run dropped",
                metadata: [
                    LogKey.requestID: "\(requestID)", LogKey.run: "\(run)",
                ])
        case .nonFinal:
            logger.trace("error handed back to the routers ignored", metadata: [LogKey.requestID: "\(requestID)"])
        case .foreign:
            logger.trace("answer for another client ignored", metadata: [LogKey.requestID: "\(requestID)"])
        case .ignored:
            logger.trace(
                "signal on the reply topic ignored", metadata: [LogKey.signalType: "\(envelope.type.rawValue)"])
        case .chunk, .staleChunk, .answered:
            break
        }
    }

    /// Expires calls whose timeout passed, every ``ProviderClientConfiguration/timeoutResolution``.
    func expireCalls() async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: configuration.timeoutResolution)
            } catch {
                return
            }
            let expired = book.withLock { $0.expire(at: .now) }
            for (completion, error) in expired {
                completion(.failure(error))
                logger.debug("call timed out", metadata: [LogKey.requestID: "\(error.requestID ?? "")"])
            }
        }
    }
}
