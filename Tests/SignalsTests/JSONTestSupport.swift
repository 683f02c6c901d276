import Foundation
import Signals
import Testing

/// Bytes of a string literal.
func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// The JSON text parsed with JSONSerialization, for structural comparison independent of key order
/// and whitespace.
func parsed(_ bytes: [UInt8]) throws -> NSObject {
    try #require(JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) as? NSObject)
}

/// Decodes `text`, and returns the error the decoder threw (nil if it decoded).
func decodingError(_ text: [UInt8], maxBytes: Int = SignalDecoder.defaultMaxBytes) -> SignalDecodingError? {
    do {
        _ = try SignalDecoder(maxBytes: maxBytes).decode(text)
        return nil
    } catch {
        return error
    }
}
