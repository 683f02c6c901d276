/// `stream_chunk`: one piece of a `stream_request`'s answer. Chunks of a request carry increasing
/// `index` from 0; the last has `done: true`, and a final `provider_response` with the whole text
/// (and usage) follows, so consumers that ignore chunks still get the answer.
///
/// A request can be streamed more than once: after a crash mid-stream the provider is called
/// again, and that call numbers its chunks from 0 again. `run` tells the calls apart: every chunk
/// of one provider call carries the same `run`, the next call another one. Producers older than
/// `run` leave it out (`nil`).
public struct StreamChunk: Sendable, Hashable, Codable {
    public var requestID: String
    public var index: Int
    public var delta: String
    public var done: Bool
    public var provider: String?
    public var model: String?
    public var finishReason: String?
    /// The id of the provider call that produced this chunk (opaque, unique per call).
    public var run: String?

    public init(
        requestID: String, index: Int, delta: String, done: Bool = false, provider: String? = nil,
        model: String? = nil, finishReason: String? = nil, run: String? = nil
    ) {
        self.requestID = requestID
        self.index = index
        self.delta = delta
        self.done = done
        self.provider = provider
        self.model = model
        self.finishReason = finishReason
        self.run = run
    }

    enum CodingKeys: String, CodingKey {
        case index, delta, done, provider, model, run
        case requestID = "request_id"
        case finishReason = "finish_reason"
    }
}
