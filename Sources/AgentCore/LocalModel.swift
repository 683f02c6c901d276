/// A model a local runtime has (`/api/tags`), loaded or not.
public struct LocalModel: Sendable, Hashable {
    public var name: String
    public var sizeBytes: Int?
    public var family: String?
    public var contextLength: Int?

    public init(name: String, sizeBytes: Int? = nil, family: String? = nil, contextLength: Int? = nil) {
        self.name = name
        self.sizeBytes = sizeBytes
        self.family = family
        self.contextLength = contextLength
    }
}
