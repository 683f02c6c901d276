import Foundation

/// The deterministic answer to a chat: the same messages always give the same text and token
/// counts, so tests and benchmarks can check what came back.
struct FakeCompletion: Sendable {
    var text: String
    var promptTokens: Int
    var completionTokens: Int

    /// `messages` as the wire formats carry them (`content` a string or a list of parts).
    init(provider: String, model: String, messages: [[String: Any]], system: String? = nil) {
        var promptCharacters = system?.count ?? 0
        var lastUser = ""
        for message in messages {
            let text = Self.text(of: message["content"])
            promptCharacters += text.count
            if message["role"] as? String == "user" { lastUser = text }
        }
        let excerpt = lastUser.count > 60 ? String(lastUser.prefix(60)) + "…" : lastUser
        text = "Fake \(provider) reply from \(model) to \"\(excerpt)\": the quick brown fox jumps over the lazy dog."
        promptTokens = max(1, (promptCharacters + 3) / 4 + 4 * messages.count)
        completionTokens = text.split(separator: " ").count
    }

    /// A string content, or the text parts of a list of parts.
    static func text(of content: Any?) -> String {
        if let text = content as? String { return text }
        guard let parts = content as? [[String: Any]] else { return "" }
        return parts.compactMap { $0["text"] as? String }.joined(separator: "\n")
    }

    /// `text` cut into `count` pieces on word boundaries (as evenly as the words allow).
    func pieces(_ count: Int) -> [String] {
        let words = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        let count = max(1, min(count, words.count))
        var pieces: [String] = []
        var start = 0
        for index in 0..<count {
            let end = words.count * (index + 1) / count
            let chunk = words[start..<end].joined(separator: " ")
            pieces.append(index == 0 ? chunk : " " + chunk)
            start = end
        }
        return pieces
    }
}
