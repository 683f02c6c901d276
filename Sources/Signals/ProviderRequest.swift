/// `provider_request` (also the payload of `stream_request` and `vision_request`): one chat
/// completion to run.
///
/// Required: `request_id` (non-empty), `messages` (non-empty). Everything else is optional.
/// Unknown members are kept in `extra` and written back on encoding (forward compatibility).
public struct ProviderRequest: Sendable, Hashable, Codable {
    public var requestID: String
    public var messages: [ChatMessage]
    /// Model name; nil means the provider's default.
    public var model: String?
    /// 0...2.
    public var temperature: Double?
    /// >= 1.
    public var maxTokens: Int?
    /// 0...1.
    public var topP: Double?
    public var stop: [String]?
    public var tools: [ToolDefinition]?
    /// `"auto"`, `"none"`, `"required"` or `{"type": "function", "function": {"name": "..."}}`.
    public var toolChoice: JSONValue?
    /// Ask for `stream_chunk`s before the final `provider_response`.
    public var stream: Bool?
    /// RFC 3339 instant after which the answer is useless; expired requests are rejected unanswered upstream.
    public var expiresAt: String?
    /// Relative deadline in milliseconds from the envelope's `time`.
    public var timeoutMs: Int?
    /// Kafka message key to use instead of `request_id` (e.g. a conversation id).
    public var partitionKey: String?
    /// Topic for the answer instead of `llm.responses` / `llm.errors`.
    public var replyTo: String?
    /// For router requests: preferred provider.
    public var provider: String?
    /// Opaque caller data, echoed in the answer.
    public var metadata: [String: JSONValue]?
    /// Which attempt of this request this is (set by routers on fallback/retry; absent means 1).
    /// The ledger keys outcomes by (request_id, attempt). >= 1.
    public var attempt: Int?
    /// `batch` yields to interactive requests at a busy provider; absent means `interactive`.
    public var priority: RequestPriority?
    /// Set by routers on requests they forward: reply topic, remaining candidates, attempts so far,
    /// budget and deadline (see `RouteContext`). Absent on requests sent straight to an agent.
    public var route: RouteContext? {
        get { routeStorage?.value }
        set { routeStorage = newValue.map(RouteContextBox.init) }
    }
    /// Boxed: a request is copied through every frame of the agent's request path, and inline
    /// the route context would add 112 bytes to each copy (to every suspended request's async
    /// frames), for a field most requests do not have.
    private var routeStorage: RouteContextBox?
    /// Members this version does not know, kept verbatim.
    public var extra: [String: JSONValue]

    public init(
        requestID: String, messages: [ChatMessage], model: String? = nil, temperature: Double? = nil,
        maxTokens: Int? = nil, topP: Double? = nil, stop: [String]? = nil, tools: [ToolDefinition]? = nil,
        toolChoice: JSONValue? = nil, stream: Bool? = nil, expiresAt: String? = nil, timeoutMs: Int? = nil,
        partitionKey: String? = nil, replyTo: String? = nil, provider: String? = nil,
        metadata: [String: JSONValue]? = nil, extra: [String: JSONValue] = [:], attempt: Int? = nil,
        route: RouteContext? = nil, priority: RequestPriority? = nil
    ) {
        self.requestID = requestID
        self.messages = messages
        self.model = model
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.topP = topP
        self.stop = stop
        self.tools = tools
        self.toolChoice = toolChoice
        self.stream = stream
        self.expiresAt = expiresAt
        self.timeoutMs = timeoutMs
        self.partitionKey = partitionKey
        self.replyTo = replyTo
        self.provider = provider
        self.metadata = metadata
        self.attempt = attempt
        self.priority = priority
        self.extra = extra
        self.routeStorage = route.map(RouteContextBox.init)
    }

    /// `attempt`, or 1 when absent (the first attempt).
    public var effectiveAttempt: Int { attempt ?? 1 }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case messages, model, temperature, stop, tools, stream, provider, metadata, attempt, route, priority
        case requestID = "request_id"
        case maxTokens = "max_tokens"
        case topP = "top_p"
        case toolChoice = "tool_choice"
        case expiresAt = "expires_at"
        case timeoutMs = "timeout_ms"
        case partitionKey = "partition_key"
        case replyTo = "reply_to"
    }

    private static let knownKeys: Set<String> = Set(CodingKeys.allCases.map(\.rawValue))

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func invalid(_ key: CodingKeys, _ detail: String) -> SignalDecodingError {
            SignalDecodingError(.invalidValue, at: c.codingPath + [key], detail)
        }
        requestID = try c.decode(String.self, forKey: .requestID)
        if requestID.isEmpty { throw invalid(.requestID, "must not be empty") }
        messages = try c.decode([ChatMessage].self, forKey: .messages)
        if messages.isEmpty { throw invalid(.messages, "must contain at least one message") }
        model = try c.decodeIfPresent(String.self, forKey: .model)
        temperature = try c.decodeIfPresent(Double.self, forKey: .temperature)
        if let t = temperature, !(0...2).contains(t) {
            throw invalid(.temperature, "must be between 0 and 2, got \(t)")
        }
        maxTokens = try c.decodeIfPresent(Int.self, forKey: .maxTokens)
        if let m = maxTokens, m < 1 { throw invalid(.maxTokens, "must be at least 1, got \(m)") }
        topP = try c.decodeIfPresent(Double.self, forKey: .topP)
        if let p = topP, !(0...1).contains(p) { throw invalid(.topP, "must be between 0 and 1, got \(p)") }
        stop = try c.decodeIfPresent([String].self, forKey: .stop)
        tools = try c.decodeIfPresent([ToolDefinition].self, forKey: .tools)
        toolChoice = try c.decodeIfPresent(JSONValue.self, forKey: .toolChoice)
        stream = try c.decodeIfPresent(Bool.self, forKey: .stream)
        expiresAt = try c.decodeIfPresent(String.self, forKey: .expiresAt)
        timeoutMs = try c.decodeIfPresent(Int.self, forKey: .timeoutMs)
        if let t = timeoutMs, t < 1 { throw invalid(.timeoutMs, "must be at least 1, got \(t)") }
        partitionKey = try c.decodeIfPresent(String.self, forKey: .partitionKey)
        replyTo = try c.decodeIfPresent(String.self, forKey: .replyTo)
        provider = try c.decodeIfPresent(String.self, forKey: .provider)
        metadata = try c.decodeIfPresent([String: JSONValue].self, forKey: .metadata)
        attempt = try c.decodeIfPresent(Int.self, forKey: .attempt)
        if let a = attempt, a < 1 { throw invalid(.attempt, "must be at least 1, got \(a)") }
        if let name = try c.decodeIfPresent(String.self, forKey: .priority) {
            guard let value = RequestPriority(rawValue: name) else {
                throw invalid(.priority, "must be interactive or batch, got '\(name)'")
            }
            priority = value
        }
        routeStorage = try c.decodeIfPresent(RouteContext.self, forKey: .route).map(RouteContextBox.init)
        let all = try decoder.container(keyedBy: AnyCodingKey.self)
        var extra: [String: JSONValue] = [:]
        for key in all.allKeys where !Self.knownKeys.contains(key.stringValue) {
            extra[key.stringValue] = try all.decode(JSONValue.self, forKey: key)
        }
        self.extra = extra
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(requestID, forKey: .requestID)
        try c.encode(messages, forKey: .messages)
        try c.encodeIfPresent(model, forKey: .model)
        try c.encodeIfPresent(temperature, forKey: .temperature)
        try c.encodeIfPresent(maxTokens, forKey: .maxTokens)
        try c.encodeIfPresent(topP, forKey: .topP)
        try c.encodeIfPresent(stop, forKey: .stop)
        try c.encodeIfPresent(tools, forKey: .tools)
        try c.encodeIfPresent(toolChoice, forKey: .toolChoice)
        try c.encodeIfPresent(stream, forKey: .stream)
        try c.encodeIfPresent(expiresAt, forKey: .expiresAt)
        try c.encodeIfPresent(timeoutMs, forKey: .timeoutMs)
        try c.encodeIfPresent(partitionKey, forKey: .partitionKey)
        try c.encodeIfPresent(replyTo, forKey: .replyTo)
        try c.encodeIfPresent(provider, forKey: .provider)
        try c.encodeIfPresent(metadata, forKey: .metadata)
        try c.encodeIfPresent(attempt, forKey: .attempt)
        try c.encodeIfPresent(priority, forKey: .priority)
        try c.encodeIfPresent(route, forKey: .route)
        if !extra.isEmpty {
            var all = encoder.container(keyedBy: AnyCodingKey.self)
            for (key, value) in extra where !Self.knownKeys.contains(key) {
                try all.encode(value, forKey: AnyCodingKey(key))
            }
        }
    }
}

/// An immutable box: a new one on every change, so `ProviderRequest` keeps value semantics.
/// Sendable: its only stored property is an immutable Sendable value.
final class RouteContextBox: Sendable, Hashable {
    let value: RouteContext

    init(_ value: RouteContext) {
        self.value = value
    }

    static func == (lhs: RouteContextBox, rhs: RouteContextBox) -> Bool { lhs.value == rhs.value }
    func hash(into hasher: inout Hasher) { hasher.combine(value) }
}
