/// A model a local runtime has loaded (or just loaded).
public struct LoadedModel: Sendable, Hashable {
    public var name: String
    /// Memory it occupies (RAM + VRAM), when known.
    public var sizeBytes: Int?
    /// Of which in GPU memory, when known.
    public var vramBytes: Int?
    /// How long the load took (the runtime's figure when it gives one, else measured); `nil` in
    /// listings.
    public var loadDuration: Duration?

    public init(name: String, sizeBytes: Int? = nil, vramBytes: Int? = nil, loadDuration: Duration? = nil) {
        self.name = name
        self.sizeBytes = sizeBytes
        self.vramBytes = vramBytes
        self.loadDuration = loadDuration
    }
}
