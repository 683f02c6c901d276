/// The optional `data` of the pure queries `get_provider_status`, `get_resource_status` and
/// `list_available_models`; all members optional, the whole `data` may be omitted.
public struct SignalQuery: Sendable, Hashable, Codable {
    public var requestID: String?
    public var replyTo: String?
    /// Ask one provider (or instance) only.
    public var provider: String?

    public init(requestID: String? = nil, replyTo: String? = nil, provider: String? = nil) {
        self.requestID = requestID
        self.replyTo = replyTo
        self.provider = provider
    }

    enum CodingKeys: String, CodingKey {
        case provider
        case requestID = "request_id"
        case replyTo = "reply_to"
    }
}
