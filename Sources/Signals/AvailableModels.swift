/// `available_models` (Local): the answer to `list_available_models`.
public struct AvailableModels: Sendable, Hashable, Codable {
    public struct Model: Sendable, Hashable, Codable {
        public var name: String
        public var loaded: Bool
        public var sizeBytes: Int?
        public var family: String?
        public var contextLength: Int?

        public init(name: String, loaded: Bool, sizeBytes: Int? = nil, family: String? = nil, contextLength: Int? = nil)
        {
            self.name = name
            self.loaded = loaded
            self.sizeBytes = sizeBytes
            self.family = family
            self.contextLength = contextLength
        }

        enum CodingKeys: String, CodingKey {
            case name, loaded, family
            case sizeBytes = "size_bytes"
            case contextLength = "context_length"
        }
    }

    public var provider: String
    public var models: [Model]
    public var requestID: String?
    public var instance: String?

    public init(provider: String, models: [Model], requestID: String? = nil, instance: String? = nil) {
        self.provider = provider
        self.models = models
        self.requestID = requestID
        self.instance = instance
    }

    enum CodingKeys: String, CodingKey {
        case provider, models, instance
        case requestID = "request_id"
    }
}
