/// A function the model may call: name, description and a JSON Schema for its parameters.
/// Used by `configure_functions` and `provider_request.tools`
/// (`{"type": "function", "function": {...}}` in `tools`, the bare definition in `configure_functions`).
public struct FunctionDefinition: Sendable, Hashable, Codable {
    public var name: String
    public var description: String?
    /// JSON Schema of the arguments object.
    public var parameters: JSONValue?

    public init(name: String, description: String? = nil, parameters: JSONValue? = nil) {
        self.name = name
        self.description = description
        self.parameters = parameters
    }
}
