/// `configure_safety` (Anthropic): safety settings applied to every request of this provider.
/// Published to `llm.control.anthropic`; answered by `safety_configured`.
public struct ConfigureSafety: Sendable, Hashable, Codable {
    /// `strict`, `standard`, `minimal`; open set.
    public var level: String
    /// Content categories to refuse.
    public var blockedCategories: [String]?
    /// System prompt prepended to every conversation.
    public var systemPrompt: String?
    /// Upper bound applied to every request's `max_tokens`.
    public var maxTokensCap: Int?
    public var requestID: String?
    public var replyTo: String?

    public init(level: String, blockedCategories: [String]? = nil, systemPrompt: String? = nil, maxTokensCap: Int? = nil,
                requestID: String? = nil, replyTo: String? = nil) {
        self.level = level
        self.blockedCategories = blockedCategories
        self.systemPrompt = systemPrompt
        self.maxTokensCap = maxTokensCap
        self.requestID = requestID
        self.replyTo = replyTo
    }

    enum CodingKeys: String, CodingKey {
        case level
        case blockedCategories = "blocked_categories"
        case systemPrompt = "system_prompt"
        case maxTokensCap = "max_tokens_cap"
        case requestID = "request_id"
        case replyTo = "reply_to"
    }
}
