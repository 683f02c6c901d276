/// `configure_safety` (Anthropic): safety settings applied to every request of this provider, on
/// the way in and on the way out. Published to `llm.control.anthropic`; answered by
/// `safety_configured`. Each `configure_safety` replaces the previous settings as a whole.
public struct ConfigureSafety: Sendable, Hashable, Codable {
    /// `strict`, `moderate` or `permissive` (which built-in term lists of the blocked categories
    /// apply). Absent: `level` decides, else `moderate`.
    public var contentFiltering: String?
    /// Older spelling of the filtering strength: `strict`, `standard` (= moderate), `minimal`
    /// (= permissive).
    public var level: String?
    /// Answers the upstream itself flagged (a refusal / content-filter stop) become
    /// `content_blocked` errors instead of responses.
    public var blockFlaggedContent: Bool?
    /// Built-in content categories to refuse (`violence`, `self_harm`, `hate`, `sexual`,
    /// `weapons`, `illegal_drugs`, `malware`).
    public var blockedCategories: [String]?
    /// Words or phrases refused anywhere in a prompt or an answer (case-insensitive, whole words).
    public var blockedTerms: [String]?
    /// System prompt prepended to every conversation.
    public var systemPrompt: String?
    /// Upper bound applied to every request's `max_tokens`.
    public var maxTokensCap: Int?
    public var requestID: String?
    public var replyTo: String?

    public init(
        contentFiltering: String? = nil, level: String? = nil, blockFlaggedContent: Bool? = nil,
        blockedCategories: [String]? = nil,
        blockedTerms: [String]? = nil, systemPrompt: String? = nil, maxTokensCap: Int? = nil, requestID: String? = nil,
        replyTo: String? = nil
    ) {
        self.contentFiltering = contentFiltering
        self.level = level
        self.blockFlaggedContent = blockFlaggedContent
        self.blockedCategories = blockedCategories
        self.blockedTerms = blockedTerms
        self.systemPrompt = systemPrompt
        self.maxTokensCap = maxTokensCap
        self.requestID = requestID
        self.replyTo = replyTo
    }

    enum CodingKeys: String, CodingKey {
        case level
        case contentFiltering = "content_filtering"
        case blockFlaggedContent = "block_flagged_content"
        case blockedCategories = "blocked_categories"
        case blockedTerms = "blocked_terms"
        case systemPrompt = "system_prompt"
        case maxTokensCap = "max_tokens_cap"
        case requestID = "request_id"
        case replyTo = "reply_to"
    }
}
