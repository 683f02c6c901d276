/// `safety_configured`: the answer to `configure_safety`, echoing the settings now in force.
public struct SafetyConfigured: Sendable, Hashable, Codable {
    public var provider: String
    /// The filtering strength as given (`content_filtering`, else `level`).
    public var level: String?
    public var contentFiltering: String?
    public var blockFlaggedContent: Bool?
    public var blockedCategories: [String]?
    /// How many blocked terms are in force (the terms themselves are not echoed).
    public var blockedTerms: Int?
    public var maxTokensCap: Int?
    public var requestID: String?
    public var instance: String?

    public init(
        provider: String, level: String? = nil, contentFiltering: String? = nil, blockFlaggedContent: Bool? = nil,
        blockedCategories: [String]? = nil, blockedTerms: Int? = nil, maxTokensCap: Int? = nil,
        requestID: String? = nil, instance: String? = nil
    ) {
        self.provider = provider
        self.level = level
        self.contentFiltering = contentFiltering
        self.blockFlaggedContent = blockFlaggedContent
        self.blockedCategories = blockedCategories
        self.blockedTerms = blockedTerms
        self.maxTokensCap = maxTokensCap
        self.requestID = requestID
        self.instance = instance
    }

    enum CodingKeys: String, CodingKey {
        case provider, level, instance
        case contentFiltering = "content_filtering"
        case blockFlaggedContent = "block_flagged_content"
        case blockedCategories = "blocked_categories"
        case blockedTerms = "blocked_terms"
        case maxTokensCap = "max_tokens_cap"
        case requestID = "request_id"
    }
}
