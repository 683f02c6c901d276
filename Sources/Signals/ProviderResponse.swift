/// `provider_response`: the successful answer to a `provider_request` (or `stream_request`,
/// `vision_request`).
public struct ProviderResponse: Sendable, Hashable, Codable {
    public var requestID: String
    /// The generated text.
    public var response: String
    public var provider: String
    public var model: String
    /// Upstream call latency (admission to answer) in milliseconds.
    public var latencyMs: Double
    public var usage: TokenUsage?
    /// `stop`, `length`, `tool_calls`, `content_filter`, ...
    public var finishReason: String?
    public var toolCalls: [ToolCall]?
    /// Estimated cost in USD, when the provider's price is known.
    public var costUSD: Double?
    /// Which delivery attempt produced this answer (1 = first).
    public var attempt: Int?
    /// Agent instance that answered.
    public var instance: String?
    /// Echo of the request's metadata.
    public var metadata: [String: JSONValue]?
    /// Echo of a routed request's route context (earlier attempts, the client's reply topic).
    public var route: RouteContext?
    /// For a streamed request: the run (provider call) whose chunks this answer completes, the
    /// `run` of its `stream_chunk`s.
    public var run: String?

    public init(
        requestID: String, response: String, provider: String, model: String, latencyMs: Double,
        usage: TokenUsage? = nil, finishReason: String? = nil, toolCalls: [ToolCall]? = nil,
        costUSD: Double? = nil, attempt: Int? = nil, instance: String? = nil, metadata: [String: JSONValue]? = nil,
        route: RouteContext? = nil, run: String? = nil
    ) {
        self.requestID = requestID
        self.response = response
        self.provider = provider
        self.model = model
        self.latencyMs = latencyMs
        self.usage = usage
        self.finishReason = finishReason
        self.toolCalls = toolCalls
        self.costUSD = costUSD
        self.attempt = attempt
        self.instance = instance
        self.metadata = metadata
        self.route = route
        self.run = run
    }

    enum CodingKeys: String, CodingKey {
        case response, provider, model, usage, attempt, instance, metadata, route, run
        case requestID = "request_id"
        case latencyMs = "latency_ms"
        case finishReason = "finish_reason"
        case toolCalls = "tool_calls"
        case costUSD = "cost_usd"
    }
}
