/// An entry of `provider_request.tools`: `{"type": "function", "function": {name, description, parameters}}`.
public struct ToolDefinition: Sendable, Hashable, Codable {
    public var type: String
    public var function: FunctionDefinition

    public init(type: String = "function", function: FunctionDefinition) {
        self.type = type
        self.function = function
    }
}
