/// `feature_check_result`: the answer to `feature_check`.
public struct FeatureCheckResult: Sendable, Hashable, Codable {
    public var feature: String
    public var supported: Bool
    public var provider: String
    public var requestID: String?
    /// E.g. which models support it.
    public var detail: String?

    public init(feature: String, supported: Bool, provider: String, requestID: String? = nil, detail: String? = nil) {
        self.feature = feature
        self.supported = supported
        self.provider = provider
        self.requestID = requestID
        self.detail = detail
    }

    enum CodingKeys: String, CodingKey {
        case feature, supported, provider, detail
        case requestID = "request_id"
    }
}
