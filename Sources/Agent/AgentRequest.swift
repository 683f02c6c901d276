import AgentCore
import Signals
import Synchronization
import WorkerRuntime

/// One request on its way through the agent: what every step needs, in one object that each
/// step's closure holds by reference (instead of a copy of the request in each).
///
/// `@unchecked Sendable`: every property but `call` is set once, before the object is shared;
/// `call` is set by the admission step before the job that reads it is submitted (the submit
/// orders the two), and nothing else touches it.
final class AgentRequest: @unchecked Sendable {
    let request: ProviderRequest
    let streaming: Bool
    let message: WorkerMessage
    let worker: any WorkerIO
    let key: JournalKey
    /// The request's `reply_to`, else the message's `reply-to` header.
    let replyTo: String?
    /// Set when admitted.
    var call: RequestPipeline.Call?

    init(_ request: ProviderRequest, streaming: Bool, message: WorkerMessage, worker: any WorkerIO) {
        self.request = request
        self.streaming = streaming
        self.message = message
        self.worker = worker
        key = JournalKey(requestID: request.requestID, attempt: request.effectiveAttempt)
        replyTo = request.replyTo ?? message.kafka.header(SignalHeader.replyTo)?.stringValue
    }
}
