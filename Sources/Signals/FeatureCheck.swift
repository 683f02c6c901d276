/// `feature_check`: does this provider support `feature` (e.g. `vision`, `streaming`,
/// `function_calling`, `safety`, `local_models`)? Answered by `feature_check_result`.
public struct FeatureCheck: Sendable, Hashable, Codable {
    public var feature: String
    public var requestID: String?
    public var replyTo: String?

    public init(feature: String, requestID: String? = nil, replyTo: String? = nil) {
        self.feature = feature
        self.requestID = requestID
        self.replyTo = replyTo
    }

    enum CodingKeys: String, CodingKey {
        case feature
        case requestID = "request_id"
        case replyTo = "reply_to"
    }
}
