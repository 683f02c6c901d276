import AgentCore
import Kafka
import Signals
import Synchronization
import WorkerRuntime

/// One provider call of a `stream_request`: its run id, the chunks numbered from 0 and the text
/// so far. Chunks are published as the deltas arrive, without waiting for each acknowledgement
/// (they share the request's key, so the idempotent producer keeps their order); the last chunk
/// (`done: true`, empty delta, with the finish reason) goes out with the final answer.
final class StreamRun: Sendable {
    private struct Progress: Sendable {
        var index = 0
        var text = ""
        var published = false
        var undeliverable = false
        /// When the first chunk was made.
        var firstChunkAt: ContinuousClock.Instant?
    }

    let id: String
    let requestID: String
    let model: String
    let replyTo: String?
    /// When the call started (the run is made just before it).
    let startedAt = ContinuousClock.now
    private let progress = Mutex(Progress())

    init(id: String, request: ProviderRequest, model: String, replyTo: String?) {
        self.id = id
        requestID = request.requestID
        self.model = model
        self.replyTo = replyTo
    }

    /// The call's start to its first chunk, `nil` before one (time to first token).
    var timeToFirstChunk: Duration? { progress.withLock { $0.firstChunkAt.map { $0 - startedAt } } }

    /// Whether a chunk reached the client (another attempt would stream again from the start).
    var published: Bool { progress.withLock { $0.published } }

    /// The reply topic refused a chunk for good: no more chunks go out.
    var undeliverable: Bool { progress.withLock { $0.undeliverable } }

    /// The text so far with `delta`, and the chunk for `delta` (`nil` when chunks stopped).
    func append(_ delta: String, provider: String) -> (text: String, chunk: StreamChunk?) {
        progress.withLock { progress in
            progress.text += delta
            guard !progress.undeliverable else { return (progress.text, nil) }
            let chunk = StreamChunk(
                requestID: requestID, index: progress.index, delta: delta, provider: provider, model: model, run: id
            )
            if progress.index == 0 { progress.firstChunkAt = .now }
            progress.index += 1
            progress.published = true
            return (progress.text, chunk)
        }
    }

    func refused() {
        progress.withLock { $0.undeliverable = true }
    }

    /// The closing chunk, `nil` when chunks stopped.
    func finalChunk(finishReason: String?, answers: AgentAnswers, provider: String) -> KafkaProducerMessage? {
        progress.withLock { progress -> StreamChunk? in
            guard !progress.undeliverable else { return nil }
            defer { progress.index += 1 }
            return StreamChunk(
                requestID: requestID, index: progress.index, delta: "", done: true, provider: provider, model: model,
                finishReason: finishReason, run: id
            )
        }.map { answers.answer(.streamChunk($0), replyTo: replyTo, key: requestID) }
    }
}

extension AgentHandler {
    /// Streams `request`: a chunk per delta, as it arrives; safety screens the answer so far.
    func stream(_ request: ProviderRequest, run: StreamRun, _ worker: any WorkerIO) async -> Result<
        Completion, ProviderCallError
    > {
        do {
            for try await event in provider.stream(request) {
                switch event {
                case .delta(let delta):
                    let (text, chunk) = run.append(delta, provider: configuration.provider)
                    // Safety sees the answer so far: a blocked one stops before the chunk goes out.
                    if let refusal = state.withLock({ $0.pipeline.screenStream(text) }) { return .failure(refusal) }
                    guard let chunk else { continue }
                    worker.publishAside([
                        answers.answer(.streamChunk(chunk), replyTo: run.replyTo, key: request.requestID)
                    ]) { outcome in
                        // The reply topic cannot take it: no more chunks; the final answer's
                        // fallback tells the client why.
                        if case .rejected = outcome { run.refused() }
                    }
                case .finished(let completion):
                    return .success(completion)
                }
            }
            return .failure(
                ProviderCallError(
                    type: .providerError, message: "stream ended without a final completion", retryable: true,
                    breakerKind: .other
                ))
        } catch let error as ProviderCallError {
            return .failure(error)
        } catch {
            return .failure(
                ProviderCallError(
                    type: .providerError, message: "stream failed: \(error)", retryable: true, breakerKind: .other))
        }
    }
}
