import Foundation
import Testing

@testable import Signals

/// `run` on `stream_chunk` and `provider_response`: which provider call produced a chunk or an
/// answer. Optional, so older producers' signals still decode; strictly typed when present.
@Suite("Signals: the run of a stream")
struct StreamRunTests {
    static let chunk =
        #"{"type":"stream_chunk","data":{"request_id":"s1","index":2,"delta":" end.","done":true,"#
        + #""finish_reason":"stop","run":"run-b"}}"#
    static let response =
        #"{"type":"provider_response","data":{"request_id":"s1","response":"The end.","#
        + #""provider":"openai","model":"gpt-4o","latency_ms":12,"run":"run-b"}}"#

    @Test("a chunk's run decodes, and re-encodes unchanged")
    func chunkRun() throws {
        let envelope = try SignalEnvelope.decode(bytes(Self.chunk))
        let expected = StreamChunk(
            requestID: "s1", index: 2, delta: " end.", done: true, finishReason: "stop", run: "run-b")
        #expect(envelope.signal == .streamChunk(expected))
        #expect(try parsed(envelope.encoded()) == parsed(bytes(Self.chunk)))
    }

    @Test("a final answer's run decodes; both encoders write it")
    func responseRun() throws {
        let envelope = try SignalEnvelope.decode(bytes(Self.response))
        guard case .providerResponse(let response) = envelope.signal else {
            Issue.record("not a provider_response: \(envelope.signal)")
            return
        }
        #expect(response.run == "run-b")
        let fast = try #require(envelope.fastEncoded(), "a plain response takes the fast path")
        #expect(try parsed(fast) == parsed(bytes(Self.response)))
        #expect(try SignalEnvelope.decode(fast) == envelope)
        var withMetadata = response
        withMetadata.metadata = ["k": .string("v")]
        let echoed = SignalEnvelope(signal: .providerResponse(withMetadata), id: nil, source: nil, time: nil)
        let fastWithMetadata = try #require(echoed.fastEncoded(), "echoed metadata takes the fast path too")
        #expect(String(decoding: fastWithMetadata, as: UTF8.self).contains(#""run":"run-b""#))
        #expect(try SignalEnvelope.decode(fastWithMetadata) == echoed)
        var slow = response
        // a route context sends it through JSONEncoder
        slow.route = RouteContext(router: "router-1", maxAttempts: 3, deadline: "2026-12-06T00:00:00Z")
        let viaEncoder = SignalEnvelope(signal: .providerResponse(slow), id: nil, source: nil, time: nil)
        #expect(viaEncoder.fastEncoded() == nil)
        let encoded = try viaEncoder.encoded()
        #expect(String(decoding: encoded, as: UTF8.self).contains(#""run":"run-b""#))
        #expect(try SignalEnvelope.decode(encoded) == viaEncoder)
    }

    @Test("older producers: no run decodes as nil and is not written back; null means absent")
    func absent() throws {
        let old = #"{"type":"stream_chunk","data":{"request_id":"s1","index":0,"delta":"Once","done":false}}"#
        let envelope = try SignalEnvelope.decode(bytes(old))
        guard case .streamChunk(let chunk) = envelope.signal else {
            Issue.record("not a stream_chunk: \(envelope.signal)")
            return
        }
        #expect(chunk.run == nil)
        #expect(try parsed(envelope.encoded()) == parsed(bytes(old)))
        let null =
            #"{"type":"provider_response","data":{"request_id":"s1","response":"x","provider":"p","model":"m","#
            + #""latency_ms":1,"run":null}}"#
        let response = try SignalEnvelope.decode(bytes(null))
        #expect(
            response.signal
                == .providerResponse(
                    ProviderResponse(
                        requestID: "s1", response: "x", provider: "p", model: "m",
                        latencyMs: 1)))
        #expect(!String(decoding: try response.encoded(), as: UTF8.self).contains("run"))
    }

    @Test(
        "a run that is not a string is a wrongType error naming data.run",
        arguments: [
            (
                #"{"type":"stream_chunk","data":{"request_id":"s1","index":0,"delta":"x","done":false,"run":7}}"#,
                "data.run: expected a string, got number 7"
            ),
            (
                #"""
                {"type":"provider_response","data":{"request_id":"s1","response":"x","provider":"p","model":"m",\#
                "latency_ms":1,
                """#
                    + #""run":["a"]}}"#,
                "data.run: expected a string, got an array"
            ),
        ])
    func wrongType(_ json: String, message: String) throws {
        let error = try #require(decodingError(bytes(json)))
        #expect(error.code == .wrongType)
        #expect(error.path == "data.run")
        #expect(error.message == message)
        #expect(error.requestID == "s1")
    }
}
