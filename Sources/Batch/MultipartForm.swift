public import Foundation

/// A `multipart/form-data` body, read into its parts (the Files API's upload: `purpose` and
/// `file`). Strict: a body that does not follow the boundary it declares is an error.
public struct MultipartForm: Sendable, Hashable {
    public struct Part: Sendable, Hashable {
        /// `Content-Disposition`'s `name`.
        public var name: String
        /// `Content-Disposition`'s `filename`, for a file.
        public var filename: String?
        public var contentType: String?
        public var body: Data
    }

    public struct FormError: Error, Sendable, Hashable, CustomStringConvertible {
        public var description: String
    }

    public var parts: [Part]

    /// The first part named `name`.
    public func part(_ name: String) -> Part? { parts.first { $0.name == name } }

    /// Reads `body` sent with `contentType` (`multipart/form-data; boundary=...`).
    public static func parse(_ body: Data, contentType: String) throws(FormError) -> MultipartForm {
        let fields = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard fields.first?.lowercased() == "multipart/form-data" else {
            throw FormError(description: "expected Content-Type multipart/form-data, got '\(contentType)'")
        }
        guard let boundaryField = fields.dropFirst().first(where: { $0.lowercased().hasPrefix("boundary=") }) else {
            throw FormError(description: "the multipart Content-Type names no boundary")
        }
        var boundary = String(boundaryField.dropFirst("boundary=".count))
        if boundary.hasPrefix("\""), boundary.hasSuffix("\""), boundary.count >= 2 {
            boundary = String(boundary.dropFirst().dropLast())
        }
        guard !boundary.isEmpty else { throw FormError(description: "the multipart boundary is empty") }
        let delimiter = Data("--\(boundary)".utf8)
        let crlf = Data("\r\n".utf8)
        guard let first = body.range(of: delimiter) else {
            throw FormError(description: "the body does not contain its boundary")
        }
        var parts: [Part] = []
        var cursor = first.upperBound
        while true {
            // After a delimiter: "--" ends the body, CRLF starts a part.
            if body[cursor...].starts(with: Data("--".utf8)) { break }
            guard body[cursor...].starts(with: crlf) else {
                throw FormError(description: "a multipart boundary is not followed by a line break")
            }
            cursor += crlf.count
            guard let headerEnd = body.range(of: Data("\r\n\r\n".utf8), in: cursor..<body.endIndex) else {
                throw FormError(description: "a multipart part has no end of headers")
            }
            let headers = String(decoding: body[cursor..<headerEnd.lowerBound], as: UTF8.self)
            guard let next = body.range(of: crlf + delimiter, in: headerEnd.upperBound..<body.endIndex) else {
                throw FormError(description: "a multipart part is not closed by the boundary")
            }
            parts.append(try part(headers: headers, body: body[headerEnd.upperBound..<next.lowerBound]))
            cursor = next.upperBound
        }
        return MultipartForm(parts: parts)
    }

    private static func part(headers: String, body: Data) throws(FormError) -> Part {
        var name: String?
        var filename: String?
        var contentType: String?
        for line in headers.components(separatedBy: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let header = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch header {
            case "content-disposition":
                for parameter in value.split(separator: ";").dropFirst() {
                    let pair = parameter.split(separator: "=", maxSplits: 1).map {
                        $0.trimmingCharacters(in: .whitespaces)
                    }
                    guard pair.count == 2 else { continue }
                    let unquoted =
                        pair[1].hasPrefix("\"") && pair[1].hasSuffix("\"") && pair[1].count >= 2
                        ? String(pair[1].dropFirst().dropLast()) : pair[1]
                    switch pair[0].lowercased() {
                    case "name": name = unquoted
                    case "filename": filename = unquoted
                    default: break
                    }
                }
            case "content-type": contentType = value
            default: break
            }
        }
        guard let name else { throw FormError(description: "a multipart part has no Content-Disposition name") }
        return Part(name: name, filename: filename, contentType: contentType, body: Data(body))
    }
}
