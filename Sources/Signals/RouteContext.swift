/// What a router adds to a `provider_request` it forwards to a provider's topic (`route`), so that
/// any router instance can continue the request after a retryable error: the client's reply
/// topic, the candidates not tried yet, the attempts so far, the attempt budget and the total
/// deadline. Nothing about the request lives in a router's memory.
///
/// An agent that receives a request with `route` sends its response and its final
/// (non-retryable) errors to `reply_to` — the request's own `reply_to` is the same topic — and
/// hands retryable errors back to the routers on `llm.errors`, embedding the request (see
/// `ProviderError.request`). Agents echo `route` in their answers, so the client sees the path.
public struct RouteContext: Sendable, Hashable, Codable {
    /// The router instance that sent this attempt (`router/<instance>`).
    public var router: String?
    /// The client's reply topic; `nil` = the default `llm.responses` / `llm.errors`.
    public var replyTo: String?
    /// The model the client asked for (before a model map chose a provider's model); `nil` = default.
    public var requestedModel: String?
    /// Candidates not tried yet, in order (the next attempt takes the first).
    public var remaining: [RouteTarget]
    /// Earlier attempts, oldest first.
    public var tried: [RouteAttempt]
    /// Attempts allowed in total (>= 1).
    public var maxAttempts: Int
    /// RFC 3339 instant after which the request is answered `deadline_exceeded` instead of retried.
    public var deadline: String
    /// When the first router received the request (RFC 3339).
    public var receivedAt: String?
    /// The routing strategy that ordered the candidates.
    public var strategy: String?

    public init(
        router: String? = nil, replyTo: String? = nil, requestedModel: String? = nil, remaining: [RouteTarget] = [],
        tried: [RouteAttempt] = [], maxAttempts: Int, deadline: String, receivedAt: String? = nil,
        strategy: String? = nil
    ) {
        self.router = router
        self.replyTo = replyTo
        self.requestedModel = requestedModel
        self.remaining = remaining
        self.tried = tried
        self.maxAttempts = maxAttempts
        self.deadline = deadline
        self.receivedAt = receivedAt
        self.strategy = strategy
    }

    enum CodingKeys: String, CodingKey {
        case router, remaining, tried, deadline, strategy
        case replyTo = "reply_to"
        case requestedModel = "requested_model"
        case maxAttempts = "max_attempts"
        case receivedAt = "received_at"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        router = try c.decodeIfPresent(String.self, forKey: .router)
        replyTo = try c.decodeIfPresent(String.self, forKey: .replyTo)
        if replyTo?.isEmpty == true {
            throw SignalDecodingError(.invalidValue, at: c.codingPath + [CodingKeys.replyTo], "must not be empty")
        }
        requestedModel = try c.decodeIfPresent(String.self, forKey: .requestedModel)
        remaining = try c.decodeIfPresent([RouteTarget].self, forKey: .remaining) ?? []
        tried = try c.decodeIfPresent([RouteAttempt].self, forKey: .tried) ?? []
        maxAttempts = try c.decode(Int.self, forKey: .maxAttempts)
        if maxAttempts < 1 {
            throw SignalDecodingError(
                .invalidValue, at: c.codingPath + [CodingKeys.maxAttempts], "must be at least 1, got \(maxAttempts)")
        }
        deadline = try c.decode(String.self, forKey: .deadline)
        if RFC3339.date(from: deadline) == nil {
            throw SignalDecodingError(
                .invalidValue, at: c.codingPath + [CodingKeys.deadline],
                "must be an RFC 3339 date-time, got '\(deadline)'")
        }
        receivedAt = try c.decodeIfPresent(String.self, forKey: .receivedAt)
        strategy = try c.decodeIfPresent(String.self, forKey: .strategy)
    }
}

/// One place a routed request can go: a provider, and the model to ask it for (`nil` = the
/// request's own model).
public struct RouteTarget: Sendable, Hashable, Codable, CustomStringConvertible {
    public var provider: String
    public var model: String?

    public init(provider: String, model: String? = nil) {
        self.provider = provider
        self.model = model
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        provider = try c.decode(String.self, forKey: .provider)
        if provider.isEmpty {
            throw SignalDecodingError(.invalidValue, at: c.codingPath + [CodingKeys.provider], "must not be empty")
        }
        model = try c.decodeIfPresent(String.self, forKey: .model)
    }

    enum CodingKeys: String, CodingKey { case provider, model }

    /// `provider` or `provider/model`.
    public var description: String { model.map { "\(provider)/\($0)" } ?? provider }
}

/// One earlier attempt of a routed request and how it failed.
public struct RouteAttempt: Sendable, Hashable, Codable {
    public var attempt: Int
    public var provider: String
    public var model: String?
    public var instance: String?
    public var errorType: ProviderErrorType
    public var error: String
    public var retryAfterMs: Int?
    /// When the router learned of the failure (RFC 3339).
    public var at: String?

    public init(
        attempt: Int, provider: String, model: String? = nil, instance: String? = nil, errorType: ProviderErrorType,
        error: String, retryAfterMs: Int? = nil, at: String? = nil
    ) {
        self.attempt = attempt
        self.provider = provider
        self.model = model
        self.instance = instance
        self.errorType = errorType
        self.error = error
        self.retryAfterMs = retryAfterMs
        self.at = at
    }

    enum CodingKeys: String, CodingKey {
        case attempt, provider, model, instance, error, at
        case errorType = "error_type"
        case retryAfterMs = "retry_after_ms"
    }

    public var target: RouteTarget { RouteTarget(provider: provider, model: model) }
}
