/// Where an `image` content part's bytes come from: inline base64 data, or a URL.
public struct ImageSource: Sendable, Hashable, Codable {
    /// `base64` or `url`.
    public var type: String
    /// MIME type, e.g. `image/png` (required for `base64`).
    public var mediaType: String?
    /// Base64 bytes (for `base64`).
    public var data: String?
    /// Image URL (for `url`).
    public var url: String?

    public init(type: String, mediaType: String? = nil, data: String? = nil, url: String? = nil) {
        self.type = type
        self.mediaType = mediaType
        self.data = data
        self.url = url
    }

    public static func base64(_ data: String, mediaType: String) -> ImageSource {
        ImageSource(type: "base64", mediaType: mediaType, data: data)
    }

    enum CodingKeys: String, CodingKey {
        case type, data, url
        case mediaType = "media_type"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        type = try c.decode(String.self, forKey: .type)
        mediaType = try c.decodeIfPresent(String.self, forKey: .mediaType)
        data = try c.decodeIfPresent(String.self, forKey: .data)
        url = try c.decodeIfPresent(String.self, forKey: .url)
        switch type {
        case "base64":
            if mediaType == nil {
                throw DecodingError.keyNotFound(
                    CodingKeys.mediaType, .init(codingPath: c.codingPath, debugDescription: ""))
            }
            if data == nil {
                throw DecodingError.keyNotFound(CodingKeys.data, .init(codingPath: c.codingPath, debugDescription: ""))
            }
        case "url":
            if url == nil {
                throw DecodingError.keyNotFound(CodingKeys.url, .init(codingPath: c.codingPath, debugDescription: ""))
            }
        default:
            throw SignalDecodingError(
                .invalidValue, at: c.codingPath + [CodingKeys.type], "expected base64 or url, got \"\(type)\"")
        }
    }
}
