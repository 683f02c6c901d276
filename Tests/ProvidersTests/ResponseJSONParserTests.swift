import Foundation
import Testing

@testable import Providers

@Suite("Upstream answers read in place (ResponseJSONParser)")
struct ResponseJSONParserTests {
    /// Whether `value` means what `JSONSerialization` read (`any`).
    static func same(_ value: ResponseJSON, _ any: Any) -> Bool {
        switch value {
        case .null: return any is NSNull
        case .bool(let bool): return (any as? Bool) == bool
        case .integer(let integer): return (any as? NSNumber).map { $0.int64Value == Int64(integer) } ?? false
        case .number(let double):
            // Foundation reads long mantissas as decimals, whose `doubleValue` may differ in the last bit
            // (the adapters never take a non-integer number from the fast path).
            return (any as? NSNumber).map { abs($0.doubleValue - double) <= abs(double) * 1e-12 } ?? false
        case .string(let string): return (any as? String) == string
        case .array(let elements):
            guard let array = any as? [Any], array.count == elements.count else { return false }
            return zip(elements, array).allSatisfy { same($0, $1) }
        case .object(let members):
            guard let object = any as? [String: Any], object.count == members.count else { return false }
            return members.allSatisfy { member in object[member.key].map { same(member.value, $0) } ?? false }
        }
    }

    static let valid = [
        #"{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini","#
            + #""choices":[{"index":0,"message":{"role":"assistant","content":"Hi there","refusal":null},"#
            + #""logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":3}}"#,
        #"  [1, -2, 3.5, -0.25e-3, 1E+2, true, false, null, "", {}, []]  "#,
        #"{"escapes":"quote \" backslash \\ slash \/ \b\f\n\r\t unicode \u00e9 \u65e5 \ud83d\ude00 nul \u0000"}"#,
        #"{"utf8":"é 日本 😀","nested":{"a":[{"b":[[],{}]}]}}"#,
        #""just a string""#, "42", "-9223372036854775808", "9223372036854775807", "0", "-1.0",
    ]

    @Test("valid JSON means what JSONSerialization reads")
    func validAgrees() throws {
        for text in Self.valid {
            let parsed = try #require(ResponseJSONParser.parse(text), "\(text)")
            let foundation = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
            #expect(Self.same(parsed, foundation), "\(text)")
        }
        #expect(
            ResponseJSONParser.parse(#"{"a":{"b":[1,2]},"c":"d"}"#)
                == .object([
                    .init(key: "a", value: .object([.init(key: "b", value: .array([.integer(1), .integer(2)]))])),
                    .init(key: "c", value: .string("d")),
                ]))
    }

    @Test("malformed or doubtful input is refused (nil), never a crash")
    func refused() {
        let texts = [
            "", " ", "{", "}", "[", "[1,]", "[1 2]", #"{"a":1,}"#, #"{"a" 1}"#, #"{a:1}"#, "{'a':1}", "01", "-01", "1.",
            ".5", "-", "+1", "1e", "1e+", "tru", "nul", "falsey", #""abc"#, #""\x""#, #""\u12""#, #""\u12g4""#,
            #""\ud800""#, #""\ud800\u0041""#, #""\udc00""#, "\"tab\tinside\"", "\"line\nbreak\"", "{} x", "[] []",
            #"{"a":1,"a":2}"#, "99999999999999999999", "-9223372036854775809", "-0", "1e400", "-1e400", "NaN",
            "\u{FEFF}{}", String(repeating: "[", count: 65) + String(repeating: "]", count: 65),
        ]
        for text in texts {
            #expect(ResponseJSONParser.parse(text) == nil, "\(text)")
        }
        #expect(ResponseJSONParser.parse(String(repeating: "[", count: 64) + String(repeating: "]", count: 64)) != nil)
        let invalidUTF8: [[UInt8]] = [
            [0x22, 0xFF, 0x22], [0x22, 0xC3, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22],
            [0x7B, 0x22, 0x80, 0x22, 0x3A, 0x31, 0x7D],
        ]
        for bytes in invalidUTF8 {
            #expect(ResponseJSONParser.parse(bytes) == nil, "\(bytes)")
        }
    }

    @Test("mutated answers: never a crash, and whatever is accepted JSONSerialization reads the same")
    func mutations() throws {
        var generator = SplitMix(seed: 0x5EED)
        let alphabet = Array(#"{}[]":,\ u0123456789.eE+-tfnrl"aé"#.utf8) + [0x00, 0x1F, 0x7F, 0x80, 0xFF]
        for _ in 0..<3_000 {
            var bytes = Array(Self.valid[Int(generator.next() % UInt64(Self.valid.count))].utf8)
            for _ in 0..<(1 + generator.next() % 3) where !bytes.isEmpty {
                let position = Int(generator.next() % UInt64(bytes.count))
                switch generator.next() % 3 {
                case 0: bytes[position] = alphabet[Int(generator.next() % UInt64(alphabet.count))]
                case 1: bytes.remove(at: position)
                default: bytes.insert(alphabet[Int(generator.next() % UInt64(alphabet.count))], at: position)
                }
            }
            guard let parsed = ResponseJSONParser.parse(bytes) else { continue }
            let foundation = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
            #expect(Self.same(parsed, foundation), "\(String(decoding: bytes, as: UTF8.self))")
        }
    }

    /// A small deterministic generator for the mutations.
    struct SplitMix {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}
