/// A function call made by the model: `{"id": "...", "type": "function", "function": {"name": "...", "arguments":
/// "{...}"}}`.
public struct ToolCall: Sendable, Hashable, Codable {
    public struct Function: Sendable, Hashable, Codable {
        public var name: String
        /// The arguments as the model produced them: a JSON text.
        public var arguments: String
        public init(name: String, arguments: String) {
            self.name = name
            self.arguments = arguments
        }
    }

    public var id: String
    public var type: String
    public var function: Function

    public init(id: String, type: String = "function", function: Function) {
        self.id = id
        self.type = type
        self.function = function
    }
}
