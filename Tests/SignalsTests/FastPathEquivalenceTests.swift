import Foundation
import Testing

@testable import Signals

/// The decoding fast path must agree with the strict `Codable` path on everything it accepts,
/// and hand everything else to it.
@Suite("Signals: decoding fast path")
struct FastPathEquivalenceTests {
    static func strict(_ json: String) -> SignalEnvelope? {
        try? JSONDecoder().decode(SignalEnvelope.self, from: Data(json.utf8))
    }

    static let accepted: [String] = [
        #"{"type":"provider_request","data":{"request_id":"r1","messages":[{"role":"user","content":"hi"}]}}"#,
        #"""
        {"type":"provider_request","id":"e1","source":"client","time":"2026-11-27T00:00:00Z","data":{"request_id":\#
        "r2","model":"gpt-4o","temperature":0.7,"max_tokens":64,"top_p":1,"stop":["\n","END"],"stream":false,\#
        "messages":[{"role":"system","content":"be brief"},{"role":"user","content":"2+2?","name":"alice"}]}}
        """#,
        #"""
        {"type":"stream_request","data":{"request_id":"r3","messages":[{"role":"user","content":"escapes: \" \\ \#
        \/ \b \f \n \r \t \u00e9 \ud83d\ude00 ü \#
        日本"}],"temperature":2,"expires_at":"2030-01-01T00:00:00Z","timeout_ms":5000,"partition_key":"conv-1",\#
        "reply_to":"my.replies","provider":"openai","attempt":2,"priority":"batch"}}
        """#,
        #"""
          {"data":{"messages":[{"content":"x","role":"assistant"}],"request_id":"r4","metadata":{"user":"u1","n":\#
        3,"flags":[true,false,null],"nested":{"k":"v"}},"future_field":{"a":[1,2]}},"type":"provider_request",\#
        "ignored":1}  \#

        """#,
        #"""
        {"type":"vision_request","data":{"request_id":"r5","messages":[{"role":"user","content":"describe"}],\#
        "temperature":0}}
        """#,
        #"""
        {"type":"provider_request","data":{"request_id":"r6","messages":[{"role":"tool","content":"",\#
        "unknown_member":"kept out"}],"max_tokens":1,"top_p":0.0}}
        """#,
    ]

    /// Handed to the strict path (which may still accept some of them, differently or not).
    static let declined: [String] = [
        #"{"type":"provider_request"}"#,
        #"{"type":"provider_request","data":{"request_id":"","messages":[{"role":"user","content":"hi"}]}}"#,
        #"{"type":"provider_request","data":{"request_id":"r","messages":[]}}"#,
        #"{"type":"provider_request","data":{"request_id":"r","messages":"hi"}}"#,
        #"{"type":"provider_request","data":{"request_id":"r","messages":[{"role":"robot","content":"hi"}]}}"#,
        #"""
        {"type":"provider_request","data":{"request_id":"r","messages":[{"role":"user","content":[{"type":"text",\#
        "text":"hi"}]}]}}
        """#,
        #"""
        {"type":"provider_request","data":{"request_id":"r","messages":[{"role":"user","content":"hi"}],\#
        "temperature":"hot"}}
        """#,
        #"""
        {"type":"provider_request","data":{"request_id":"r","messages":[{"role":"user","content":"hi"}],\#
        "temperature":2.5}}
        """#,
        #"""
        {"type":"provider_request","data":{"request_id":"r","messages":[{"role":"user","content":"hi"}],\#
        "max_tokens":0}}
        """#,
        #"""
        {"type":"provider_request","data":{"request_id":"r","messages":[{"role":"user","content":"hi"}],\#
        "max_tokens":64.0}}
        """#,
        #"""
        {"type":"provider_request","data":{"request_id":"r","messages":[{"role":"user","content":"hi"}],"model":\#
        null}}
        """#,
        #"""
        {"type":"provider_request","data":{"request_id":"r","messages":[{"role":"user","content":"hi"}],\#
        "metadata":{"score":0.5}}}
        """#,
        #"""
        {"type":"provider_request","data":{"request_id":"r","messages":[{"role":"user","content":"hi"}],"tools":\#
        []}}
        """#,
        #"""
        {"type":"provider_request","data":{"request_id":"r","request_id":"s","messages":[{"role":"user","content":\#
        "hi"}]}}
        """#,
        #"""
        {"type":"provider_request","data":{"request_id":"r","messages":[{"role":"user","content":"hi"}],"attempt":\#
        0}}
        """#,
        #"""
        {"type":"provider_request","data":{"request_id":"r","messages":[{"role":"user","content":"bad \x \#
        escape"}]}}
        """#,
        #"{"type":"provider_request","data":{"request_id":"r","messages":[{"role":"user","content":"lone \udc00"}]}}"#,
        #"{"type":"provider_request","data":{"request_id":"r","messages":[{"role":"user","content":"hi"}]}} trailing"#,
        #"""
        {"type":"provider_request","data":{"request_id":"r","messages":[{"role":"user","content":"hi"}],\#
        "max_tokens":012}}
        """#,
        #"""
        {"type":"provider_request","data":{"request_id":"r","messages":[{"role":"user","content":"hi"}],\#
        "priority":"urgent"}}
        """#,
        #"{"type":"feature_check","data":{"feature":"tools"}}"#,
        #"[1,2,3]"#,
        #"""
        {"type":"provider_request","data":{"request_id":"r","messages":[{"role":"user","content":"hi"}],\#
        "max_tokens":99999999999999999999}}
        """#,
    ]

    @Test("accepted inputs decode to exactly what the strict path decodes", arguments: accepted)
    func agrees(_ json: String) throws {
        let fast = try #require(SignalDecoder.fastDecode(Array(json.utf8)), "the fast path should take \(json)")
        let strict = try #require(Self.strict(json))
        #expect(fast == strict)
        #expect(try SignalDecoder().decode(Array(json.utf8)) == strict)
    }

    @Test("everything else goes to the strict path, which gives the result or the precise error", arguments: declined)
    func declines(_ json: String) {
        #expect(SignalDecoder.fastDecode(Array(json.utf8)) == nil)
    }

    @Test("nesting deeper than the parser's limit is left to the strict path")
    func deepNesting() {
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        let json =
            #"""
            {"type":"provider_request","data":{"request_id":"r","messages":[{"role":"user","content":"hi"}],\#
            "metadata":{"deep":\#(deep)}}}
            """#
        #expect(SignalDecoder.fastDecode(Array(json.utf8)) == nil)
        #expect(SignalJSONParser.parse(Array("[[[]]]".utf8)) == .array([.array([.array([])])]))
    }
}
