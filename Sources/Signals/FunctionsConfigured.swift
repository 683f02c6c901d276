/// `functions_configured`: the answer to `configure_functions`.
public struct FunctionsConfigured: Sendable, Hashable, Codable {
    public var provider: String
    /// Names of the functions now configured.
    public var functions: [String]
    public var requestID: String?
    public var instance: String?

    public init(provider: String, functions: [String], requestID: String? = nil, instance: String? = nil) {
        self.provider = provider
        self.functions = functions
        self.requestID = requestID
        self.instance = instance
    }

    enum CodingKeys: String, CodingKey {
        case provider, functions, instance
        case requestID = "request_id"
    }
}
