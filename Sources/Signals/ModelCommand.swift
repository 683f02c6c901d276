/// The `data` of `load_model` and `unload_model` (Local): which model.
/// Answered by `model_loaded` / `model_unloaded`.
public struct ModelCommand: Sendable, Hashable, Codable {
    public var model: String
    /// `load_model`: how long to keep it loaded when idle, in seconds (Ollama `keep_alive`).
    public var keepAliveS: Int?
    public var requestID: String?
    public var replyTo: String?

    public init(model: String, keepAliveS: Int? = nil, requestID: String? = nil, replyTo: String? = nil) {
        self.model = model
        self.keepAliveS = keepAliveS
        self.requestID = requestID
        self.replyTo = replyTo
    }

    enum CodingKeys: String, CodingKey {
        case model
        case keepAliveS = "keep_alive_s"
        case requestID = "request_id"
        case replyTo = "reply_to"
    }
}
