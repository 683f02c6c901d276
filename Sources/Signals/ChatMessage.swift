/// One message of a conversation.
public struct ChatMessage: Sendable, Hashable, Codable {
    /// `system`, `user`, `assistant` or `tool`.
    public enum Role: String, Sendable, Hashable, Codable, CaseIterable {
        case system, user, assistant, tool
    }

    public var role: Role
    public var content: MessageContent
    /// Optional participant name.
    public var name: String?
    /// For `role: tool`: the tool call this message answers.
    public var toolCallID: String?
    /// For `role: assistant`: tool calls the model made.
    public var toolCalls: [ToolCall]?

    public init(
        role: Role, content: MessageContent, name: String? = nil, toolCallID: String? = nil,
        toolCalls: [ToolCall]? = nil
    ) {
        self.role = role
        self.content = content
        self.name = name
        self.toolCallID = toolCallID
        self.toolCalls = toolCalls
    }

    public static func system(_ text: String) -> ChatMessage { ChatMessage(role: .system, content: .text(text)) }
    public static func user(_ text: String) -> ChatMessage { ChatMessage(role: .user, content: .text(text)) }
    public static func assistant(_ text: String) -> ChatMessage { ChatMessage(role: .assistant, content: .text(text)) }

    enum CodingKeys: String, CodingKey {
        case role, content, name
        case toolCallID = "tool_call_id"
        case toolCalls = "tool_calls"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let rawRole = try c.decode(String.self, forKey: .role)
        guard let role = Role(rawValue: rawRole) else {
            throw SignalDecodingError(
                .invalidValue, at: c.codingPath + [CodingKeys.role],
                "expected one of system, user, assistant, tool, got \"\(rawRole)\"")
        }
        self.role = role
        content = try c.decode(MessageContent.self, forKey: .content)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        toolCallID = try c.decodeIfPresent(String.self, forKey: .toolCallID)
        toolCalls = try c.decodeIfPresent([ToolCall].self, forKey: .toolCalls)
    }
}
