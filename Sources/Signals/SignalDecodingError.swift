/// Why bytes could not be decoded into a `SignalEnvelope`.
///
/// `path` is the JSON path of the offending field (`data.messages[0].content`, empty for the whole
/// value); `message` names it (`data.temperature: expected a number, got string "hot"`).
/// `requestID` is `data.request_id` when the raw value still had one as a string, so the caller can
/// answer with a `provider_error` (`invalid_request`) instead of dead-lettering the message.
public struct SignalDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// No bytes, or only whitespace.
        case empty
        /// Larger than the decoder's `maxBytes` (checked before parsing).
        case oversize
        /// Not valid UTF-8.
        case invalidUTF8
        /// Not syntactically valid JSON.
        case invalidJSON
        /// Valid JSON, but not an object (an array, a number, a string, ...).
        case notAnObject
        /// `type` names no known signal.
        case unknownType
        /// A required field (`type`, `data`, `data.messages`, ...) is absent.
        case missingField
        /// A field has the wrong JSON type (or is null where a value is required).
        case wrongType
        /// A field has the right type but a value out of range or not allowed.
        case invalidValue
    }

    public var code: Code
    /// JSON path of the offending field; "" when the whole value is at fault.
    public var path: String
    /// Human readable, starts with the path when there is one.
    public var message: String
    /// `data.request_id` of the raw value, when it was a string.
    public var requestID: String?
    /// `type` of the raw value, when it was a string.
    public var signalType: String?

    public init(code: Code, path: String, message: String, requestID: String? = nil, signalType: String? = nil) {
        self.code = code
        self.path = path
        self.message = message
        self.requestID = requestID
        self.signalType = signalType
    }

    /// An error at `path` with `detail`; the message is `path: detail` (or `detail` at the root).
    init(_ code: Code, at path: String, _ detail: String) {
        self.init(code: code, path: path, message: path.isEmpty ? detail : "\(path): \(detail)")
    }

    /// An error at the field `codingPath` (+ `key`) with `detail`.
    init(_ code: Code, at codingPath: [any CodingKey], _ detail: String) {
        self.init(code, at: Self.render(codingPath), detail)
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// `"value"` (clipped to 40 characters) for messages.
    static func quote(_ value: String) -> String {
        String(JSONValue.string(value).shortDescription.dropFirst("string ".count))
    }

    /// `[data, messages, 0, content]` → `data.messages[0].content`.
    static func render(_ codingPath: [any CodingKey]) -> String {
        var out = ""
        for key in codingPath {
            if let index = key.intValue, key.stringValue.hasPrefix("Index ") || key.stringValue == String(index) {
                out += "[\(index)]"
            } else {
                if !out.isEmpty { out += "." }
                out += key.stringValue
            }
        }
        return out
    }
}
