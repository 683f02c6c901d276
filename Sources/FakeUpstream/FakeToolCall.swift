import Foundation

/// The deterministic tool call of a fake answer. With tools offered, a call is made when the
/// tool choice forces one (`required` / `any`: the first tool; a named tool: that one) or, with
/// `auto`, when the last user message says `call <tool name>` (that tool) or `use a tool` (the
/// first); never with `none`, nor when the last message already is a tool result. Arguments:
/// `{"question": <the last user text>}`.
struct FakeToolCall: Sendable {
    /// What the request allows (OpenAI `tool_choice` / Anthropic `tool_choice.type`).
    enum Choice: Sendable {
        case auto, none, required
        case named(String)
    }

    var id: String
    var name: String
    var arguments: String

    init?(messages: [[String: Any]], toolNames: [String], choice: Choice, idPrefix: String) {
        guard let first = toolNames.first else { return nil }
        let lastUser = FakeCompletion.text(of: messages.last { $0["role"] as? String == "user" }?["content"])
        let answered = messages.last.map(Self.isToolResult) ?? false
        let name: String
        switch choice {
        case .none:
            return nil
        case .named(let wanted):
            guard toolNames.contains(wanted) else { return nil }
            name = wanted
        case .required:
            name = toolNames.first { lastUser.lowercased().contains("call \($0.lowercased())") } ?? first
        case .auto:
            guard !answered else { return nil }
            if let asked = toolNames.first(where: { lastUser.lowercased().contains("call \($0.lowercased())") }) {
                name = asked
            } else if lastUser.lowercased().contains("use a tool") {
                name = first
            } else {
                return nil
            }
        }
        id = FakeUpstream.id(idPrefix)
        self.name = name
        arguments =
            (try? JSONSerialization.data(withJSONObject: ["question": lastUser], options: [.sortedKeys])).map {
                String(decoding: $0, as: UTF8.self)
            } ?? "{}"
    }

    /// An OpenAI `tool` message, or an Anthropic user message of `tool_result` blocks.
    static func isToolResult(_ message: [String: Any]) -> Bool {
        if message["role"] as? String == "tool" { return true }
        guard let blocks = message["content"] as? [[String: Any]], !blocks.isEmpty else { return false }
        return blocks.allSatisfy { $0["type"] as? String == "tool_result" }
    }

    /// The arguments cut into (at most) `count` pieces, as streams deliver them.
    func argumentFragments(_ count: Int) -> [String] {
        let characters = Array(arguments)
        let size = max(1, (characters.count + max(1, count) - 1) / max(1, count))
        return stride(from: 0, to: characters.count, by: size).map {
            String(characters[$0..<min(characters.count, $0 + size)])
        }
    }
}
