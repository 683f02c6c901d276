import Foundation
import Testing

@testable import Providers

@Suite("Request bodies written as JSON directly")
struct JSONBodyWriterTests {
    /// What JSON text means, for comparing two writings of the same body.
    static func parsed(_ bytes: [UInt8]) throws -> NSObject {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) as? NSObject)
    }

    @Test("a typical body means the same as JSONSerialization's writing of it, escapes included")
    func sameMeaning() throws {
        let body: [String: Any] = [
            "model": "gpt-4o-mini", "max_tokens": 256, "temperature": 0.25, "stream": true, "stop": ["\n\n", "END"],
            "messages": [
                ["role": "system", "content": "quote \" backslash \\ tab \t newline \n control \u{01} emoji 😀 日本"],
                [
                    "role": "user",
                    "content": [
                        ["type": "text", "text": "hi"],
                        ["type": "image_url", "image_url": ["url": "data:image/png;base64,AAAA"]],
                    ],
                ],
            ] as [Any],
            "user": NSNull(),
        ]
        let direct = try #require(JSONBodyWriter.encode(body))
        let foundation = try JSONSerialization.data(withJSONObject: body)
        #expect(try Self.parsed(direct) == Self.parsed(Array(foundation)))
    }

    @Test("anything it does not know (NSNumber from parsed JSON, a non-finite number) is left to JSONSerialization")
    func unknownValues() throws {
        let parsed = try JSONSerialization.jsonObject(
            with: Data(#"{"type":"object","minimum":1.5,"strict":true}"#.utf8))
        #expect(JSONBodyWriter.encode(["parameters": parsed]) == nil)
        #expect(JSONBodyWriter.encode(["temperature": Double.nan]) == nil)
        #expect(JSONBodyWriter.encode(["n": 1, "ok": false]) != nil)
    }
}
