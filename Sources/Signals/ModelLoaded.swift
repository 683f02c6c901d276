/// `model_loaded` / `model_unloaded`: the answer to `load_model` / `unload_model`.
public struct ModelLoaded: Sendable, Hashable, Codable {
    public var provider: String
    public var model: String
    /// How long loading (or unloading) took.
    public var durationMs: Double?
    /// Memory the model occupies (loaded) or freed (unloaded).
    public var memoryBytes: Int?
    public var requestID: String?
    public var instance: String?

    public init(
        provider: String, model: String, durationMs: Double? = nil, memoryBytes: Int? = nil,
        requestID: String? = nil, instance: String? = nil
    ) {
        self.provider = provider
        self.model = model
        self.durationMs = durationMs
        self.memoryBytes = memoryBytes
        self.requestID = requestID
        self.instance = instance
    }

    enum CodingKeys: String, CodingKey {
        case provider, model, instance
        case durationMs = "duration_ms"
        case memoryBytes = "memory_bytes"
        case requestID = "request_id"
    }
}
