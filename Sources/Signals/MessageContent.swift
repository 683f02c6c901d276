/// A message's content: a plain string, or an array of content parts (text and images).
public enum MessageContent: Sendable, Hashable, Codable {
    case text(String)
    case parts([ContentPart])

    /// All text of the content, parts joined with newlines.
    public var plainText: String {
        switch self {
        case .text(let text): return text
        case .parts(let parts):
            return parts.compactMap { if case .text(let t) = $0 { return t } else { return nil } }.joined(
                separator: "\n")
        }
    }

    /// Whether any part is an image.
    public var hasImages: Bool {
        guard case .parts(let parts) = self else { return false }
        return parts.contains { if case .text = $0 { return false } else { return true } }
    }

    public init(from decoder: any Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let text = try? single.decode(String.self) {
            self = .text(text)
            return
        }
        guard var array = try? decoder.unkeyedContainer() else {
            throw DecodingError.typeMismatch(
                MessageContent.self,
                .init(
                    codingPath: decoder.codingPath, debugDescription: "expected a string or an array of content parts"))
        }
        var parts: [ContentPart] = []
        while !array.isAtEnd { parts.append(try array.decode(ContentPart.self)) }
        self = .parts(parts)
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .text(let text):
            var single = encoder.singleValueContainer()
            try single.encode(text)
        case .parts(let parts):
            var array = encoder.unkeyedContainer()
            for part in parts { try array.encode(part) }
        }
    }
}
