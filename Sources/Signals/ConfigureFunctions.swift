/// `configure_functions` (OpenAI): the functions every request of this provider may call unless the
/// request brings its own `tools`. Published to `llm.control.openai`; answered by `functions_configured`.
public struct ConfigureFunctions: Sendable, Hashable, Codable {
    public var functions: [FunctionDefinition]
    /// `auto`, `none`, `required`, or a specific function object.
    public var toolChoice: JSONValue?
    public var requestID: String?
    public var replyTo: String?

    public init(
        functions: [FunctionDefinition], toolChoice: JSONValue? = nil, requestID: String? = nil, replyTo: String? = nil
    ) {
        self.functions = functions
        self.toolChoice = toolChoice
        self.requestID = requestID
        self.replyTo = replyTo
    }

    enum CodingKeys: String, CodingKey {
        case functions
        case toolChoice = "tool_choice"
        case requestID = "request_id"
        case replyTo = "reply_to"
    }
}
