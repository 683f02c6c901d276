/// `safety_configured`: the answer to `configure_safety`, echoing the settings now in force.
public struct SafetyConfigured: Sendable, Hashable, Codable {
    public var provider: String
    public var level: String
    public var blockedCategories: [String]?
    public var maxTokensCap: Int?
    public var requestID: String?
    public var instance: String?

    public init(provider: String, level: String, blockedCategories: [String]? = nil, maxTokensCap: Int? = nil,
                requestID: String? = nil, instance: String? = nil) {
        self.provider = provider
        self.level = level
        self.blockedCategories = blockedCategories
        self.maxTokensCap = maxTokensCap
        self.requestID = requestID
        self.instance = instance
    }

    enum CodingKeys: String, CodingKey {
        case provider, level, instance
        case blockedCategories = "blocked_categories"
        case maxTokensCap = "max_tokens_cap"
        case requestID = "request_id"
    }
}
