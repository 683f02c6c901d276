import Foundation
import Signals
import Testing

@Suite("Signals: strict decoding of bad input")
struct SignalDecodingErrorTests {
    @Test("provider_request without data: missingField naming data")
    func missingData() throws {
        let error = try #require(decodingError(bytes(#"{"type":"provider_request"}"#)))
        #expect(error.code == .missingField)
        #expect(error.path == "data")
        #expect(error.message.hasPrefix("data: "))
        #expect(error.requestID == nil)
        #expect(error.signalType == "provider_request")
    }

    @Test("messages not an array: wrongType at data.messages, request_id extracted")
    func messagesNotArray() throws {
        let error = try #require(
            decodingError(bytes(#"{"type":"provider_request","data":{"request_id":"req-7","messages":"hello"}}"#)))
        #expect(error.code == .wrongType)
        #expect(error.path == "data.messages")
        #expect(error.message == #"data.messages: expected an array, got string "hello""#)
        #expect(error.requestID == "req-7")
    }

    @Test("temperature \"hot\": wrongType with the value in the message")
    func temperatureHot() throws {
        let error = try #require(
            decodingError(
                bytes(
                    #"""
                    {"type":"provider_request","data":{"request_id":"req-8","messages":[{"role":"user","content":\#
                    "x"}],"temperature":"hot"}}
                    """#
                )))
        #expect(error.code == .wrongType)
        #expect(error.path == "data.temperature")
        #expect(error.message == #"data.temperature: expected a number, got string "hot""#)
        #expect(error.requestID == "req-8")
        let answer = try #require(ProviderError(invalidRequest: error, provider: "openai"))
        #expect(answer.errorType == .invalidRequest)
        #expect(answer.retryable == false)
        #expect(answer.field == "data.temperature")
        #expect(answer.requestID == "req-8")
    }

    @Test("5 MB content: oversize before parsing; the limit is configurable")
    func oversize() throws {
        let big = String(repeating: "a", count: 5 * 1024 * 1024)
        let text = bytes(
            #"{"type":"provider_request","data":{"request_id":"r","messages":[{"role":"user","content":"\#(big)"}]}}"#)
        let error = try #require(decodingError(text))
        #expect(error.code == .oversize)
        #expect(error.path == "")
        let limit = error.message.firstMatch(of: /the limit of (\d+) bytes/).flatMap { Int($0.1) }
        #expect(limit == 1_048_576, "\(error.message)")
        // Invalid JSON beyond the limit is still reported as oversize: nothing was parsed.
        #expect(decodingError(bytes("{" + String(repeating: "x", count: 2_000_000)))?.code == .oversize)
        // A larger limit accepts it.
        #expect(decodingError(text, maxBytes: 8 * 1024 * 1024) == nil)
        #expect(decodingError(bytes(SignalExamples.providerRequest), maxBytes: 64)?.code == .oversize)
    }

    @Test("invalid UTF-8: invalidUTF8 with the offset, request_id still found")
    func invalidUTF8() throws {
        var text = bytes(
            #"{"type":"provider_request","data":{"request_id":"req-9","messages":[{"role":"user","content":"caf"#)
        let offset = text.count
        text += [0xC3, 0x28] + bytes(#""}]}}"#)
        let error = try #require(decodingError(text))
        #expect(error.code == .invalidUTF8)
        #expect(error.message.contains("byte offset \(offset)"))
        #expect(error.requestID == "req-9")
        #expect(decodingError([0xFF, 0xFE, 0x7B, 0x7D])?.code == .invalidUTF8)
        // Valid multi-byte UTF-8 is fine.
        #expect(
            decodingError(
                bytes(
                    #"""
                    {"type":"provider_request","data":{"request_id":"r","messages":[{"role":"user","content":\#
                    "café ☕️ 日本"}]}}
                    """#
                )) == nil)
    }

    @Test("unknown type: unknownType naming the type")
    func unknownType() throws {
        let error = try #require(decodingError(bytes(#"{"type":"provider_requets","data":{"request_id":"req-10"}}"#)))
        #expect(error.code == .unknownType)
        #expect(error.path == "type")
        #expect(error.message == #"type: unknown signal type "provider_requets""#)
        #expect(error.requestID == "req-10")
    }

    @Test("JSON array, number, string, null: notAnObject")
    func notAnObject() throws {
        let array = try #require(decodingError(bytes(#"[{"type":"provider_request"}]"#)))
        #expect(array.code == .notAnObject)
        #expect(array.message == "expected a JSON object, got an array")
        #expect(decodingError(bytes("42"))?.code == .notAnObject)
        #expect(decodingError(bytes("42"))?.message == "expected a JSON object, got number 42")
        #expect(decodingError(bytes(#""provider_request""#))?.code == .notAnObject)
        #expect(decodingError(bytes("null"))?.code == .notAnObject)
    }

    @Test("empty value and whitespace: empty")
    func empty() throws {
        #expect(decodingError([])?.code == .empty)
        #expect(decodingError([])?.message == "value is empty")
        #expect(decodingError(bytes(" \n\t "))?.code == .empty)
    }

    @Test("malformed JSON: invalidJSON; request_id is not guessed")
    func invalidJSON() throws {
        let error = try #require(decodingError(bytes(#"{"type":"provider_request","data":{"request_id":"r1","#)))
        #expect(error.code == .invalidJSON)
        #expect(error.message.hasPrefix("invalid JSON"))
        #expect(
            error.message != "invalid JSON: The given data was not valid JSON.",
            "the message says where: \(error.message)")
        #expect(error.requestID == nil)
        #expect(decodingError(bytes("{'type': 1}"))?.code == .invalidJSON)
    }

    @Test("type missing or not a string")
    func typeField() throws {
        let missing = try #require(decodingError(bytes(#"{"data":{"request_id":"r2"}}"#)))
        #expect(missing.code == .missingField)
        #expect(missing.path == "type")
        #expect(missing.requestID == "r2")
        let number = try #require(decodingError(bytes(#"{"type":7}"#)))
        #expect(number.code == .wrongType)
        #expect(number.message == "type: expected a string, got number 7")
    }

    @Test(
        "missing and wrong fields deep inside data are named by path",
        arguments: [
            (
                #"{"type":"provider_request","data":{"messages":[{"role":"user","content":"x"}]}}"#,
                SignalDecodingError.Code.missingField, "data.request_id"
            ),
            (#"{"type":"provider_request","data":{"request_id":"r"}}"#, .missingField, "data.messages"),
            (
                #"{"type":"provider_request","data":{"request_id":"r","messages":[{"role":"user"}]}}"#, .missingField,
                "data.messages[0].content"
            ),
            (
                #"""
                {"type":"provider_request","data":{"request_id":"r","messages":[{"role":"user","content":"a"},\#
                {"role":"robot","content":"b"}]}}
                """#,
                .invalidValue, "data.messages[1].role"
            ),
            (
                #"{"type":"provider_request","data":{"request_id":"r","messages":[{"role":"user","content":42}]}}"#,
                .wrongType, "data.messages[0].content"
            ),
            (
                #"""
                {"type":"provider_request","data":{"request_id":"r","messages":[{"role":"user","content":[{"type":\#
                "video","url":"x"}]}]}}
                """#,
                .invalidValue, "data.messages[0].content[0].type"
            ),
            (
                #"""
                {"type":"provider_request","data":{"request_id":"r","messages":[{"role":"user","content":[{"type":\#
                "image","source":{"type":"base64","data":"AA=="}}]}]}}
                """#,
                .missingField, "data.messages[0].content[0].source.media_type"
            ),
            (
                #"""
                {"type":"provider_request","data":{"request_id":"r","messages":[{"role":"user","content":"x"}],\#
                "max_tokens":1.5}}
                """#,
                .wrongType, "data.max_tokens"
            ),
            (
                #"""
                {"type":"provider_request","data":{"request_id":"r","messages":[{"role":"user","content":"x"}],\#
                "max_tokens":0}}
                """#,
                .invalidValue, "data.max_tokens"
            ),
            (
                #"""
                {"type":"provider_request","data":{"request_id":"r","messages":[{"role":"user","content":"x"}],\#
                "temperature":3}}
                """#,
                .invalidValue, "data.temperature"
            ),
            (
                #"""
                {"type":"provider_request","data":{"request_id":"r","messages":[{"role":"user","content":"x"}],\#
                "stream":"yes"}}
                """#,
                .wrongType, "data.stream"
            ),
            (#"{"type":"provider_request","data":{"request_id":"r","messages":[]}}"#, .invalidValue, "data.messages"),
            (
                #"""
                {"type":"provider_request","data":{"request_id":"r","messages":[{"role":"user","content":"x"}],\#
                "attempt":0}}
                """#,
                .invalidValue, "data.attempt"
            ),
            (
                #"""
                {"type":"provider_request","data":{"request_id":"r","messages":[{"role":"user","content":"x"}],\#
                "attempt":1.5}}
                """#,
                .wrongType, "data.attempt"
            ),
            (
                #"""
                {"type":"vision_request","data":{"request_id":"r","messages":[{"role":"user","content":"x"}],\#
                "attempt":"2"}}
                """#,
                .wrongType, "data.attempt"
            ),
            (
                #"""
                {"type":"provider_status","data":{"provider":"openai","status":"healthy","circuit_breaker":\#
                {"state":"closed","failure_count":0},"rate_limiter":{"limit":1,"window_ms":1,"current_count":0},\#
                "metrics":{"total_requests":0,"success_rate":1},"owned_partitions":[0,1.5]}}
                """#,
                .wrongType, "data.owned_partitions[1]"
            ),
            (
                #"""
                {"type":"provider_status","data":{"provider":"openai","status":"healthy","circuit_breaker":\#
                {"state":"closed","failure_count":0},"rate_limiter":{"limit":1,"window_ms":1,"current_count":0},\#
                "metrics":{"total_requests":0,"success_rate":1,"errors_by_type":{"timeout":0.5}}}}
                """#,
                .wrongType, "data.metrics.errors_by_type.timeout"
            ),
            (
                #"""
                {"type":"provider_status","data":{"provider":"openai","status":"healthy","circuit_breaker":\#
                {"state":"closed","failure_count":0,"recent_transitions":[{"at":"2026-11-27T02:00:00Z","from":\#
                "closed","to":"open"}]},"rate_limiter":{"limit":1,"window_ms":1,"current_count":0},"metrics":\#
                {"total_requests":0,"success_rate":1}}}
                """#,
                .missingField, "data.circuit_breaker.recent_transitions[0].reason"
            ),
            (
                #"""
                {"type":"provider_status","data":{"provider":"openai","status":"healthy","circuit_breaker":\#
                {"state":"closed","failure_count":0},"rate_limiter":{"limit":1,"window_ms":1,"current_count":0,\#
                "share":"half"},"metrics":{"total_requests":0,"success_rate":1}}}
                """#,
                .wrongType, "data.rate_limiter.share"
            ),
            (
                #"""
                {"type":"provider_status","data":{"provider":"openai","status":"healthy","circuit_breaker":\#
                {"state":"closed","failure_count":0},"rate_limiter":{"limit":1,"window_ms":1,"current_count":0},\#
                "metrics":{"total_requests":0,"success_rate":1},"model_metrics":{"gpt-4o":{"total_requests":2.5,\#
                "success_rate":1}}}}
                """#,
                .wrongType, "data.model_metrics.gpt-4o.total_requests"
            ),
            (
                #"{"type":"provider_request","data":{"request_id":"","messages":[{"role":"user","content":"x"}]}}"#,
                .invalidValue, "data.request_id"
            ),
            (
                #"{"type":"provider_request","data":{"request_id":null,"messages":[{"role":"user","content":"x"}]}}"#,
                .wrongType, "data.request_id"
            ),
            (#"{"type":"provider_request","data":[1,2]}"#, .wrongType, "data"),
            (#"{"type":"provider_request","data":null}"#, .wrongType, "data"),
            (
                #"""
                {"type":"provider_request","id":5,"data":{"request_id":"r","messages":[{"role":"user","content":\#
                "x"}]}}
                """#,
                .wrongType, "id"
            ),
            (#"{"type":"feature_check","data":{}}"#, .missingField, "data.feature"),
            (
                #"""
                {"type":"provider_status","data":{"provider":"openai","status":"healthy","circuit_breaker":\#
                {"state":"closed"},"rate_limiter":{"limit":1,"window_ms":1,"current_count":0},"metrics":\#
                {"total_requests":0,"success_rate":1}}}
                """#,
                .missingField, "data.circuit_breaker.failure_count"
            ),
            (
                #"""
                {"type":"provider_error","data":{"request_id":"r","error_type":"timeout","error":"t","retryable":\#
                "no"}}
                """#,
                .wrongType, "data.retryable"
            ),
            (#"{"type":"load_model","data":{"model":["a"]}}"#, .wrongType, "data.model"),
            (#"{"type":"load_model"}"#, .missingField, "data"),
            (
                #"""
                {"type":"vision_request","data":{"request_id":"v","messages":[{"role":"user","content":[{"type":\#
                "image_url","image_url":{}}]}]}}
                """#,
                .missingField, "data.messages[0].content[0].image_url.url"
            ),
            (
                #"{"type":"configure_functions","data":{"functions":[{"description":"no name"}]}}"#, .missingField,
                "data.functions[0].name"
            ),
            (
                #"{"type":"stream_chunk","data":{"request_id":"s","index":"0","delta":"x","done":false}}"#, .wrongType,
                "data.index"
            ),
            (
                #"""
                {"type":"provider_status","data":{"provider":"openai","status":"healthy","circuit_breaker":\#
                {"state":"closed","failure_count":0},"rate_limiter":{"limit":1,"window_ms":1,"current_count":0},\#
                "metrics":{"total_requests":0.5,"success_rate":1}}}
                """#,
                .wrongType, "data.metrics.total_requests"
            ),
        ])
    func fieldErrors(text: String, code: SignalDecodingError.Code, path: String) throws {
        let error = try #require(decodingError(bytes(text)))
        #expect(error.code == code, "\(error)")
        #expect(error.path == path, "\(error)")
        #expect(error.message.hasPrefix(path + ": "), "\(error)")
    }

    @Test("request_id is extracted whenever data.request_id is a string")
    func requestIDExtraction() throws {
        #expect(
            decodingError(
                bytes(
                    #"""
                    {"type":"provider_request","data":{"request_id":"a1","messages":[{"role":"user","content":\#
                    "x"}],"top_p":"x"}}
                    """#
                ))?.requestID == "a1")
        #expect(decodingError(bytes(#"{"type":"stream_request","data":{"request_id":"a2"}}"#))?.requestID == "a2")
        #expect(decodingError(bytes(#"{"type":"nope","data":{"request_id":"a3"}}"#))?.requestID == "a3")
        #expect(
            decodingError(bytes(#"{"type":"provider_request","data":{"request_id":17,"messages":[]}}"#))?.requestID
                == nil)
        #expect(decodingError(bytes(#"{"type":"provider_request","data":{"messages":[]}}"#))?.requestID == nil)
        #expect(decodingError(bytes(#"[{"data":{"request_id":"a4"}}]"#))?.requestID == nil)
    }

    @Test("a long bad string value is clipped in the message")
    func clipped() throws {
        let long = String(repeating: "z", count: 500)
        let error = try #require(
            decodingError(bytes(#"{"type":"provider_request","data":{"request_id":"r","messages":"\#(long)"}}"#)))
        #expect(error.message.count < 120)
    }

    @Test("null optional members are absent; integral 1.0 is accepted for an integer")
    func lenientWhereHarmless() throws {
        let envelope = try SignalEnvelope.decode(
            bytes(
                #"""
                {"type":"provider_request","data":{"request_id":"r","messages":[{"role":"user","content":"x"}],\#
                "model":null,"max_tokens":16.0}}
                """#
            ))
        guard case .providerRequest(let request) = envelope.signal else {
            Issue.record("wrong case")
            return
        }
        #expect(request.model == nil)
        #expect(request.maxTokens == 16)
    }

    @Test("content of the wrong type says what is expected and what came")
    func contentWrongType() throws {
        let error = try #require(
            decodingError(
                bytes(
                    #"{"type":"provider_request","data":{"request_id":"r","messages":[{"role":"user","content":42}]}}"#)
            ))
        #expect(
            error.message == "data.messages[0].content: expected a string or an array of content parts, got number 42")
    }
}
