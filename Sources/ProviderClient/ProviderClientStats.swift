/// What a ``ProviderClient`` has seen since it was created.
public struct ProviderClientStats: Sendable, Hashable {
    /// Requests published and acknowledged.
    public var sent = 0
    /// Requests whose first final answer arrived (each counts once).
    public var answered = 0
    /// Later final answers for a request already answered (redeliveries after a router or agent
    /// crash): dropped, never delivered twice.
    public var duplicates = 0
    /// First final answers that arrived after their call had timed out or been cancelled: dropped.
    public var late = 0
    /// `stream_chunk`s of another run than the one a call keeps (the first run it saw): a
    /// provider called again for the same request, after a crash mid-stream, streams from index
    /// 0 again. Dropped, never handed to `onChunk` nor put in the result.
    public var otherRunChunks = 0
    /// Signals on the reply topic for request ids this client did not send (or no longer
    /// remembers): ignored. On a shared reply topic these are the other clients' answers.
    public var foreign = 0
    /// `provider_error`s carrying `request` — retryable errors an agent handed back to the
    /// routers, not final answers: ignored.
    public var nonFinal = 0
    /// Messages on the reply topic that are not a valid signal: ignored.
    public var undecodable = 0
    /// Other signals on the reply topic (not `stream_chunk`, `provider_response` or
    /// `provider_error`): ignored.
    public var ignored = 0
    /// Calls that gave up waiting (their timeout passed).
    public var timedOut = 0
    /// Requests sent (or being sent) whose final answer has not been taken yet.
    public var pending = 0

    public init() {}
}
