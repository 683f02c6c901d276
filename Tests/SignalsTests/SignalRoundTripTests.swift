import Foundation
import Signals
import Testing

@Suite("Signals: every signal decodes and round-trips")
struct SignalRoundTripTests {
    @Test("there is an example for every signal type")
    func everyTypeHasAnExample() {
        #expect(Set(SignalExamples.all.keys) == Set(SignalType.allCases))
    }

    @Test("every example decodes to its type and re-encodes with the same fields", arguments: SignalType.allCases)
    func roundTrip(type: SignalType) throws {
        let text = try #require(SignalExamples.all[type])
        let envelope = try SignalEnvelope.decode(bytes(text))
        #expect(envelope.type == type)
        let encoded = try envelope.encoded()
        #expect(try parsed(encoded) == parsed(bytes(text)))
        #expect(try SignalEnvelope.decode(encoded) == envelope)
    }

    @Test("encoding is compact with sorted keys")
    func compactSortedKeys() throws {
        let envelope = try SignalEnvelope.decode(bytes(SignalExamples.providerError))
        let text = String(decoding: try envelope.encoded(), as: UTF8.self)
        #expect(!text.contains("\n"))
        #expect(!text.contains(": "))
        #expect(text.hasPrefix(#"{"data":{"error":"#))
        #expect(text.contains(#""error_type":"rate_limited","model""#))
        #expect(text.hasSuffix(#""type":"provider_error"}"#))
    }

    @Test("provider_request decodes into typed fields")
    func providerRequestFields() throws {
        let envelope = try SignalEnvelope.decode(bytes(SignalExamples.providerRequest))
        #expect(envelope.id == "6f1c2a7e-0b7d-4c1e-9a51-2f0e0d8b9c11")
        #expect(envelope.source == "client/batch-7")
        #expect(envelope.time == "2026-11-27T02:00:00.000Z")
        guard case .providerRequest(let request) = envelope.signal else {
            Issue.record("wrong case")
            return
        }
        #expect(request.requestID == "req-42")
        #expect(request.model == "gpt-4o-mini")
        #expect(request.temperature == 0.7)
        #expect(request.maxTokens == 256)
        #expect(request.topP == 0.9)
        #expect(request.stop == ["\n\n"])
        #expect(request.stream == false)
        #expect(request.expiresAt == "2026-11-27T02:00:30Z")
        #expect(request.messages == [.system("You are terse."), .user("Name three prime numbers.")])
        #expect(request.metadata?["attempt"] == .integer(1))
        #expect(request.extra.isEmpty)
        #expect(envelope.messageKey == "conversation-9")
        let headers = envelope.headers(traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
        #expect(headers.map(\.name) == ["signal-type", "request-id", "reply-to", "traceparent"])
        #expect(headers.map(\.value).prefix(3) == ["provider_request", "req-42", "llm.responses.batch-7"])
    }

    @Test("the minimal provider_request: request_id and messages only")
    func minimalRequest() throws {
        let envelope = try SignalEnvelope.decode(
            bytes(#"{"type":"provider_request","data":{"request_id":"r","messages":[{"role":"user","content":"hi"}]}}"#)
        )
        #expect(envelope.signal == .providerRequest(ProviderRequest(requestID: "r", messages: [.user("hi")])))
        #expect(envelope.id == nil && envelope.source == nil && envelope.time == nil)
        #expect(envelope.messageKey == "r")
    }

    @Test("provider_request attempt: absent means 1; written back when set")
    func requestAttempt() throws {
        let first = try SignalEnvelope.decode(bytes(SignalExamples.providerRequest))
        guard case .providerRequest(let request) = first.signal else {
            Issue.record("wrong case")
            return
        }
        #expect(request.attempt == nil)
        #expect(request.effectiveAttempt == 1)
        let text =
            #"""
            {"type":"provider_request","data":{"request_id":"r","messages":[{"role":"user","content":"hi"}],\#
            "attempt":3}}
            """#
        let retried = try SignalEnvelope.decode(bytes(text))
        guard case .providerRequest(let again) = retried.signal else {
            Issue.record("wrong case")
            return
        }
        #expect(again.attempt == 3)
        #expect(again.effectiveAttempt == 3)
        #expect(again.extra.isEmpty)
        #expect(again == ProviderRequest(requestID: "r", messages: [.user("hi")], attempt: 3))
        #expect(try parsed(retried.encoded()) == parsed(bytes(text)))
    }

    @Test("unknown members of provider_request data are kept and written back; unknown envelope members are tolerated")
    func forwardCompatibility() throws {
        let text = #"""
            {"type":"provider_request","trace":{"x":1},"data":{"request_id":"r","messages":[{"role":"user",
             "content":"hi","cache":true}],
             "seed":7,"response_format":{"type":"json_object"},"logprobs":null,
             "tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],
              "tool_choice":{"type":"function","function":{"name":"f"}}}}
            """#
        let envelope = try SignalEnvelope.decode(bytes(text))
        guard case .providerRequest(let request) = envelope.signal else {
            Issue.record("wrong case")
            return
        }
        #expect(request.extra["seed"] == .integer(7))
        #expect(request.extra["response_format"] == .object(["type": .string("json_object")]))
        #expect(request.extra["logprobs"] == .null)
        #expect(request.tools?.first?.function.name == "f")
        let reencoded = try #require(try parsed(envelope.encoded()) as? NSDictionary, "the envelope is a JSON object")
        let data = try #require(reencoded["data"] as? NSDictionary, "data is a JSON object")
        #expect(data["seed"] as? Int == 7)
        #expect((data["response_format"] as? NSDictionary)?["type"] as? String == "json_object")
        #expect(data["logprobs"] is NSNull)
    }

    @Test("message content: string or parts, each kind round-trips")
    func contentParts() throws {
        let envelope = try SignalEnvelope.decode(bytes(SignalExamples.visionRequest))
        guard case .visionRequest(let request) = envelope.signal else {
            Issue.record("wrong case")
            return
        }
        #expect(
            request.messages[0].content
                == .parts([
                    .text("What is in this picture?"),
                    .image(.base64("iVBORw0KGgo=", mediaType: "image/png")),
                    .imageURL(url: "https://example.com/cat.jpg", detail: "low"),
                ]))
        #expect(request.messages[0].content.hasImages)
        #expect(request.messages[0].content.plainText == "What is in this picture?")
    }

    @Test("queries without data decode; with data: null too")
    func queriesWithoutData() throws {
        for type in [SignalType.getProviderStatus, .getResourceStatus, .listAvailableModels] {
            let bare = try SignalEnvelope.decode(bytes(#"{"type":"\#(type.rawValue)"}"#))
            #expect(bare.type == type)
            #expect(bare.signal.requestID == nil)
            let null = try SignalEnvelope.decode(bytes(#"{"type":"\#(type.rawValue)","data":null}"#))
            #expect(null == bare)
        }
    }

    @Test("output envelopes get an id and an RFC 3339 time")
    func outputDefaults() throws {
        let error = ProviderError(
            requestID: "r", errorType: .timeout, error: "upstream timed out after 30000 ms", retryable: true,
            retryAfterMs: 0)
        let envelope = SignalEnvelope(.providerError(error), source: "agent/openai/a")
        let id = try #require(envelope.id)
        #expect(UUID(uuidString: id) != nil)
        let time = try #require(envelope.time)
        #expect(time.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$"#, options: .regularExpression) != nil)
        #expect(try SignalEnvelope.decode(envelope.encoded()) == envelope)
    }

    @Test("decoding is safe from many tasks at once: every decode equals the original, and so does its re-encoding")
    func concurrentDecoding() async throws {
        let examples = SignalExamples.all.sorted { $0.key.rawValue < $1.key.rawValue }
        #expect(examples.count == SignalType.allCases.count)
        // The originals: each example decoded once, on one task (`roundTrip` checks them against their JSON).
        let originals = try examples.map { try SignalEnvelope.decode(bytes($0.value)) }
        let (checked, mismatches) = try await withThrowingTaskGroup(of: (Int, [String]).self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var checked = 0
                    var mismatches: [String] = []
                    for i in 0..<200 {
                        let index = (i + worker) % examples.count
                        let (type, text) = examples[index]
                        let decoded = try SignalEnvelope.decode(bytes(text))
                        if decoded != originals[index] { mismatches.append("\(type.rawValue) decoded as \(decoded)") }
                        let encoded = try decoded.encoded()
                        let json = String(decoding: encoded, as: UTF8.self)
                        if try SignalEnvelope.decode(encoded) != originals[index] {
                            mismatches.append("\(type.rawValue) re-encoded as \(json), decodes differently")
                        }
                        if try parsed(encoded) != parsed(bytes(text)) {
                            mismatches.append("\(type.rawValue) re-encoded JSON differs: \(json)")
                        }
                        checked += 1
                    }
                    return (checked, mismatches)
                }
            }
            var checked = 0
            var mismatches: [String] = []
            for try await (count, found) in group {
                checked += count
                mismatches += found
            }
            return (checked, mismatches)
        }
        #expect(mismatches.first == nil, "\(mismatches.count) decodes differed from the original")
        #expect(checked == 1600)
    }

    @Test("every asking signal names its answer")
    func answers() {
        for type in SignalType.allCases where type.answerTypes.isEmpty == false {
            for answer in type.answerTypes { #expect(answer.answerTypes.isEmpty) }
        }
        let asking: [SignalType] = [
            .providerRequest, .featureCheck, .getProviderStatus, .configureProvider, .configureFunctions,
            .streamRequest,
            .configureSafety, .visionRequest, .loadModel, .unloadModel, .getResourceStatus, .listAvailableModels,
        ]
        for type in asking { #expect(!type.answerTypes.isEmpty, "\(type.rawValue)") }
    }
}
