import AgentCore
import Foundation
import Signals

/// Checks a request's images before any upstream call, so a bad image is a clear
/// `invalid_request` naming where it is (message and part index) instead of an upstream 400 (or
/// a bill): media type one of image/jpeg, image/png, image/gif, image/webp; base64 data that
/// decodes; at most ``HTTPProviderConfiguration/maxImageBytes`` decoded bytes per image; at most
/// ``HTTPProviderConfiguration/maxImages`` images per request; URLs http(s) (or `data:` URLs with
/// base64 data, checked as inline images).
enum ImageChecks {
    static let mediaTypes = ["image/jpeg", "image/png", "image/gif", "image/webp"]

    static func check(_ request: ProviderRequest, maxImages: Int, maxImageBytes: Int) throws(ProviderCallError) {
        var count = 0
        for (messageIndex, message) in request.messages.enumerated() {
            guard case .parts(let parts) = message.content else { continue }
            for (partIndex, part) in parts.enumerated() {
                let place = "messages[\(messageIndex)].content[\(partIndex)]"
                switch part {
                case .text:
                    continue
                case .image(let source):
                    switch source.type {
                    case "base64":
                        try inline(
                            mediaType: source.mediaType, data: source.data ?? "", at: place, maxBytes: maxImageBytes)
                    case "url":
                        try web(source.url ?? "", at: place)
                    default:
                        throw .invalidRequest(
                            "\(place): image source type '\(source.type)' is not supported (expected base64 or url)")
                    }
                case .imageURL(let url, _):
                    if url.hasPrefix("data:") {
                        try dataURL(url, at: place, maxBytes: maxImageBytes)
                    } else {
                        try web(url, at: place)
                    }
                }
                count += 1
            }
        }
        guard count <= maxImages else {
            throw .invalidRequest("the request has \(count) images; at most \(maxImages) are allowed per request")
        }
    }

    private static func inline(mediaType: String?, data: String, at place: String, maxBytes: Int)
        throws(ProviderCallError)
    {
        guard let mediaType, mediaTypes.contains(mediaType.lowercased()) else {
            throw .invalidRequest(
                """
                \(place): image media type '\(mediaType ?? "")' is not supported (expected \
                \(mediaTypes.joined(separator: ", ")))
                """
            )
        }
        // The decoded size from the text's length first: an oversized image is refused without decoding it.
        let padding = data.hasSuffix("==") ? 2 : data.hasSuffix("=") ? 1 : 0
        let estimate = data.utf8.count / 4 * 3 - padding
        guard estimate <= maxBytes else {
            throw .invalidRequest(
                "\(place): image is \(estimate) bytes; at most \(maxBytes) bytes are allowed per image")
        }
        guard !data.isEmpty, let decoded = Data(base64Encoded: data) else {
            throw .invalidRequest("\(place): image data is not valid base64")
        }
        guard decoded.count <= maxBytes else {
            throw .invalidRequest(
                "\(place): image is \(decoded.count) bytes; at most \(maxBytes) bytes are allowed per image")
        }
    }

    /// `data:image/png;base64,....`
    private static func dataURL(_ url: String, at place: String, maxBytes: Int) throws(ProviderCallError) {
        guard let comma = url.firstIndex(of: ","), url[..<comma].hasSuffix(";base64") else {
            throw .invalidRequest("\(place): a data URL image must be base64 (data:<media type>;base64,<data>)")
        }
        let mediaType = String(url[url.index(url.startIndex, offsetBy: 5)..<comma].dropLast(";base64".count))
        try inline(mediaType: mediaType, data: String(url[url.index(after: comma)...]), at: place, maxBytes: maxBytes)
    }

    private static func web(_ text: String, at place: String) throws(ProviderCallError) {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
            url.host?.isEmpty == false
        else {
            throw .invalidRequest("\(place): image URL '\(text.prefix(100))' is not an http(s) URL")
        }
    }
}
