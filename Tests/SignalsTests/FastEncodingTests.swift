import Common
import Foundation
import Testing

@testable import Signals

@Suite("Signals: encoding fast path")
struct FastEncodingTests {
    static let envelopes: [SignalEnvelope] = [
        SignalEnvelope(
            .providerResponse(
                ProviderResponse(
                    requestID: "r\"1", response: "line\nbreak \"quoted\" \\ tab\t ü 😀 \u{1}", provider: "openai",
                    model: "gpt-4o",
                    latencyMs: 12.345, usage: TokenUsage(promptTokens: 10, completionTokens: 5), finishReason: "stop",
                    costUSD: 0.000125,
                    instance: "i-1"
                )), source: "agent/openai/i-1"),
        SignalEnvelope(
            signal: .providerResponse(
                ProviderResponse(requestID: "r2", response: "", provider: "p", model: "m", latencyMs: 0)), id: nil,
            source: nil, time: nil),
        SignalEnvelope(
            .providerError(
                ProviderError(
                    requestID: "r3", errorType: .rateLimited, error: "limit \"600/min\" reached", retryable: true,
                    retryAfterMs: 1500,
                    provider: "openai", model: "gpt-4o", field: "data.max_tokens", instance: "i-2"
                )), source: "agent/openai/i-2"),
        SignalEnvelope(
            .providerError(ProviderError(requestID: "r4", errorType: .invalidRequest, error: "bad", retryable: false)),
            source: "s"),
        // A streamed request's final answer names its run; `run` sorts between `response` and `usage`.
        SignalEnvelope(
            .providerResponse(
                ProviderResponse(
                    requestID: "r5", response: "streamed", provider: "openai", model: "gpt-4o", latencyMs: 3,
                    usage: TokenUsage(promptTokens: 1, completionTokens: 2), run: "run-\"1\""
                )), source: "agent/openai/i-1"),
        // Echoed metadata, nested, with every kind of value; keys sorted at every level.
        SignalEnvelope(
            .providerResponse(
                ProviderResponse(
                    requestID: "r6", response: "x", provider: "p", model: "m", latencyMs: 1,
                    metadata: [
                        "z": .array([.integer(1), .number(2.5), .null, .bool(true)]),
                        "a": .object(["y": .string("q\""), "b": .integer(-3)]),
                    ]
                )), source: "agent/p/1"),
        SignalEnvelope(
            .providerError(
                ProviderError(
                    requestID: "r7", errorType: .timeout, error: "slow", retryable: true,
                    metadata: ["job": .string("batch-7"), "n": .integer(4)]
                )), source: "agent/p/1"),
    ]

    @Test("fast output decodes to the same envelope as JSONEncoder's, with the same keys", arguments: envelopes)
    func sameAsEncoder(_ envelope: SignalEnvelope) throws {
        let fast = try #require(envelope.fastEncoded())
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let reference = try encoder.encode(envelope)
        #expect(try SignalEnvelope.decode(fast) == envelope)
        let fastObject = try JSONSerialization.jsonObject(with: Data(fast)) as? NSDictionary
        let referenceObject = try JSONSerialization.jsonObject(with: reference) as? NSDictionary
        #expect(
            fastObject == referenceObject,
            "\(String(decoding: fast, as: UTF8.self)) vs \(String(decoding: reference, as: UTF8.self))")
    }

    @Test("answers with tool calls or a non-finite number in their metadata, and other signals, go through JSONEncoder")
    func declines() {
        let withInfinity = ProviderResponse(
            requestID: "r", response: "x", provider: "p", model: "m", latencyMs: 1, metadata: ["k": .number(.infinity)])
        #expect(SignalEnvelope(.providerResponse(withInfinity), source: "s").fastEncoded() == nil)
        #expect(SignalEnvelope(.featureCheck(FeatureCheck(feature: "tools")), source: "s").fastEncoded() == nil)
    }

    @Test("envelope ids are version-4 UUIDs, lowercased and unique")
    func ids() throws {
        let ids = (0..<10_000).map { _ in SignalEnvelope.newID() }
        #expect(Set(ids).count == ids.count)
        for id in ids.prefix(100) {
            let uuid = try #require(UUID(uuidString: id), "\(id)")
            #expect(uuid.uuidString.lowercased() == id)
            let characters = Array(id)
            #expect(characters[14] == "4", "version 4: \(id)")
            #expect("89ab".contains(characters[19]), "RFC 4122 variant: \(id)")
        }
    }

    @Test("strings with and without escapes, at every position")
    func stringEscapes() throws {
        for text in [
            "", "plain", "\"", "a\"b", "\\end\\", "\n\r\t\u{0}\u{1f}", "ü😀\u{7f}",
            String(repeating: "x", count: 1000) + "\"",
        ] {
            var json = JSONBytes(capacity: 8)
            json.string(text)
            let decoded = try JSONDecoder().decode(String.self, from: Data(json.bytes))
            #expect(decoded == text)
        }
    }
}
