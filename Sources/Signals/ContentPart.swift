/// One part of a multi-part message content.
///
/// - `{"type": "text", "text": "..."}`
/// - `{"type": "image_url", "image_url": {"url": "https://... or data:image/png;base64,...", "detail": "auto"}}`
/// (OpenAI style)
/// - `{"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "..."}}` (Anthropic style)
public enum ContentPart: Sendable, Hashable, Codable {
    case text(String)
    case imageURL(url: String, detail: String? = nil)
    case image(ImageSource)

    enum CodingKeys: String, CodingKey {
        case type, text, source
        case imageURL = "image_url"
    }

    enum ImageURLKeys: String, CodingKey { case url, detail }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let type = try c.decode(String.self, forKey: .type)
        switch type {
        case "text":
            self = .text(try c.decode(String.self, forKey: .text))
        case "image_url":
            let image = try c.nestedContainer(keyedBy: ImageURLKeys.self, forKey: .imageURL)
            self = .imageURL(
                url: try image.decode(String.self, forKey: .url),
                detail: try image.decodeIfPresent(String.self, forKey: .detail))
        case "image":
            self = .image(try c.decode(ImageSource.self, forKey: .source))
        default:
            throw SignalDecodingError(
                .invalidValue, at: c.codingPath + [CodingKeys.type],
                "expected one of text, image_url, image, got \"\(type)\"")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .text(let text):
            try c.encode("text", forKey: .type)
            try c.encode(text, forKey: .text)
        case .imageURL(let url, let detail):
            try c.encode("image_url", forKey: .type)
            var image = c.nestedContainer(keyedBy: ImageURLKeys.self, forKey: .imageURL)
            try image.encode(url, forKey: .url)
            try image.encodeIfPresent(detail, forKey: .detail)
        case .image(let source):
            try c.encode("image", forKey: .type)
            try c.encode(source, forKey: .source)
        }
    }
}
