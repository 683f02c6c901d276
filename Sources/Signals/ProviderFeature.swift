/// A capability a provider or model may have.
public struct ProviderFeature: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let chat = ProviderFeature(rawValue: "chat")
    public static let streaming = ProviderFeature(rawValue: "streaming")
    public static let tools = ProviderFeature(rawValue: "tools")
    public static let vision = ProviderFeature(rawValue: "vision")
    public static let jsonMode = ProviderFeature(rawValue: "json_mode")
}
