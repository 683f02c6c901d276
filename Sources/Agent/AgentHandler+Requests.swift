import AgentCore
import Common
import Foundation
import Kafka
import Signals
import WorkerRuntime

// The request path: ledger → prepare and admit → `started` → the call (a job) → `done` with
// the answer → publish. One provider call per (request_id, attempt), whatever copy of the
// request arrives: a redelivery or a resend finds the answer in the ledger, or waits for the
// copy in flight here.
extension AgentHandler {
    func handleRequest(_ request: ProviderRequest, streaming: Bool, _ message: WorkerMessage, _ worker: any WorkerIO) {
        let job = AgentRequest(request, streaming: streaming, message: message, worker: worker)
        worker.claim(job.key, for: message) { claim in self.claimed(claim, job) }
    }

    private func claimed(_ claim: JournalClaim, _ job: AgentRequest) {
        switch claim {
        case .abandoned:
            job.worker.abandon(job.message)
        case .replay(let outputs):
            state.withLock { $0.ledgerRepeats += 1 }
            logger.debug(
                "answered from the ledger",
                metadata: [
                    LogKey.requestID: "\(job.key.requestID)", LogKey.attempt: "\(job.key.attempt)",
                ])
            let retargeted = outputs.map { retarget($0, replyTo: job.replyTo) }
            job.worker.publish(retargeted, for: job.message, fallback: fallback(retargeted.last, job.request))
        case .claimed(let recall):
            if recall {
                state.withLock { $0.providerRecalls += 1 }
                logger.warning(
                    "request in flight at a previous owner's stop reaches the provider again",
                    metadata: [
                        LogKey.requestID: "\(job.key.requestID)", LogKey.attempt: "\(job.key.attempt)",
                    ])
            }
            admit(job)
        }
    }

    /// A recorded answer for the copy at hand: to its `reply_to` when it names one (a client
    /// retrying from another instance reads another topic); errors handed back to the routers
    /// stay on the error topic.
    func retarget(_ output: KafkaProducerMessage, replyTo: String?) -> KafkaProducerMessage {
        guard let replyTo,
            output.topic != configuration.errorTopic
                || output.headers.contains(where: {
                    $0.key == SignalHeader.signalType && $0.stringValue == SignalType.providerResponse.rawValue
                })
        else { return output }
        var copy = output
        copy.topic = replyTo
        copy.partition = nil
        return copy
    }

    private func fallback(_ answer: KafkaProducerMessage?, _ request: ProviderRequest) -> WorkerContext.Fallback? {
        answer.map {
            answers.fallback(
                for: $0, requestID: request.requestID, provider: configuration.provider,
                instance: configuration.instanceID)
        }
    }

    private func admit(_ job: AgentRequest) {
        let request = job.request
        let worker = job.worker
        let enqueuedAt = job.message.timestampMs.map { Date(timeIntervalSince1970: Double($0) / 1000) }
        let constrained = resources.refusal()
        let now = ContinuousClock.now
        let (decision, breakerMoved) = state.withLock { state -> (RequestPipeline.Admission, Bool) in
            let transitions = state.pipeline.admission.breaker.totalTransitions
            let decision = state.pipeline.admit(
                request, enqueuedAt: enqueuedAt, wallNow: Date(), at: now, constrained: constrained)
            return (decision, state.pipeline.admission.breaker.totalTransitions != transitions)
        }
        if breakerMoved { statusNow.fire() }
        switch decision {
        case .refused(let refusal):
            telemetry.refused(
                model: request.model ?? configuration.defaultModel ?? "", errorType: refusal.type.rawValue)
            worker.release(job.key, for: job.message)
            let (signal, _) = state.withLock {
                $0.pipeline.errorAnswer(refusal, request: request, model: request.model)
            }
            let answer =
                signal.request != nil
                ? answers.message(.providerError(signal), to: configuration.errorTopic, key: request.requestID)
                : answers.error(signal, replyTo: job.replyTo)
            worker.publish([answer], for: job.message, fallback: fallback(answer, request))
        case .admitted(let call):
            job.call = call
            // `started` before the call: if this instance dies during it, the next owner knows
            // the provider may have been reached.
            worker.begin(job.key, for: job.message) { written in self.started(written, job) }
        }
    }

    private func started(_ written: Bool, _ job: AgentRequest) {
        guard let call = job.call else { return }
        guard written, job.worker.isCurrent(job.message) else {
            state.withLock { $0.pipeline.abandon(call, at: .now) }
            job.worker.release(job.key, for: job.message)
            job.worker.abandon(job.message)
            return
        }
        job.worker.observe(.admitted, job.message)
        job.worker.submit { await self.call(job) }
    }

    /// The provider call (a job of the worker). Only the call itself is asynchronous: a task
    /// keeps its function's locals in an async frame for as long as it waits, so what follows the
    /// call (outcome, answers, record) runs in ``answered(_:result:stream:started:)`` on the
    /// thread's stack. With everything in one async function the frame was ~8 KB per call in
    /// flight, most of the agent's memory per request.
    private func call(_ job: AgentRequest) async {
        guard let request = job.call?.request else { return }
        let started = ContinuousClock.now
        job.worker.observe(.called, job.message)
        let result: Result<Completion, ProviderCallError>
        let stream: StreamRun?
        if job.streaming {
            let run = startRun(job)
            result = await self.stream(request, run: run, job.worker)
            stream = run
        } else {
            result = await complete(request)
            stream = nil
        }
        answered(job, result: result, stream: stream, started: started)
    }

    private func complete(_ request: ProviderRequest) async -> Result<Completion, ProviderCallError> {
        do {
            return .success(try await provider.complete(request))
        } catch {
            return .failure(error)
        }
    }

    private func startRun(_ job: AgentRequest) -> StreamRun {
        guard let call = job.call else { preconditionFailure("a call is admitted before it starts") }
        return StreamRun(id: nextRunID(), request: call.request, model: call.ticket.model, replyTo: job.replyTo)
    }

    /// What a finished call leads to: the outcome, the answer, the `done` record.
    private func answered(
        _ job: AgentRequest, result: Result<Completion, ProviderCallError>, stream: StreamRun?,
        started: ContinuousClock.Instant
    ) {
        guard let call = job.call else { return }
        let worker = job.worker
        // A call that finished is recorded and answered even if its partition is being revoked
        // (the revocation waits for it, so the next owner finds it answered).
        guard !Task.isCancelled else {
            state.withLock { $0.pipeline.abandon(call, at: .now) }
            worker.release(job.key, for: job.message)
            worker.abandon(job.message)
            return
        }
        worker.observe(.answered, job.message)
        let upstreamLimit = provider.upstreamRateLimit(model: call.ticket.model)
        let outcome = state.withLock { state in
            let screened = state.pipeline.screen(result)
            return state.pipeline.finish(
                call, result: screened, latency: .now - started, upstreamLimit: upstreamLimit, at: .now,
                reroutable: !(stream?.published ?? false), run: stream?.id
            )
        }
        if outcome.breakerChanged { statusNow.fire() }
        telemetry.answered(outcome.answer, model: call.ticket.model, latency: .now - started)
        if let firstChunk = stream?.timeToFirstChunk {
            telemetry.firstChunk(model: call.ticket.model, after: firstChunk)
        }
        var outputs: [KafkaProducerMessage] = []
        if let stream, case .providerResponse(let response) = outcome.answer,
            let last = stream.finalChunk(
                finishReason: response.finishReason, answers: answers, provider: configuration.provider)
        {
            outputs.append(last)
        }
        let answer: KafkaProducerMessage
        switch outcome.answer {
        case .providerError(let error) where outcome.handedBack:
            answer = answers.message(.providerError(error), to: configuration.errorTopic, key: error.requestID)
        case .providerError(let error):
            answer = answers.error(error, replyTo: job.replyTo)
        default:
            answer = answers.answer(outcome.answer, replyTo: job.replyTo, key: call.request.requestID)
        }
        outputs.append(answer)
        worker.record(job.key, outputs: outputs, for: job.message, fallback: fallback(answer, call.request))
    }

    private func nextRunID() -> String {
        let count = state.withLock { state -> Int in
            state.streamRuns += 1
            return state.streamRuns
        }
        return "\(configuration.instanceID)-\(WallClock.nowMs())-\(count)"
    }
}
