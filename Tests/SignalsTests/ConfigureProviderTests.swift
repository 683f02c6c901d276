import Foundation
import Signals
import Testing

@Suite("Signals: configure_provider and provider_configured")
struct ConfigureProviderTests {
    @Test("the full configure_provider decodes into typed sections and round-trips")
    func fullExample() throws {
        let envelope = try SignalEnvelope.decode(bytes(SignalExamples.configureProvider))
        #expect(envelope.type == .configureProvider)
        guard case .configureProvider(let configure) = envelope.signal else {
            Issue.record("wrong case")
            return
        }
        #expect(configure.requestID == "cfg-1")
        #expect(configure.replyTo == "ops.answers")
        #expect(
            configure.rateLimit
                == ConfigureProvider.RateLimit(
                    strategy: "sliding_window", requestsPerWindow: 600,
                    tokensPerWindow: 90000, windowMs: 60000))
        #expect(
            configure.circuitBreaker
                == ConfigureProvider.CircuitBreaker(
                    consecutiveFailures: 5, failureRateThreshold: 0.5, minimumRequests: 20, rateWindowSize: 50,
                    openTimeoutMs: 30000,
                    halfOpenMaxProbes: 1, halfOpenSuccessesToClose: 2,
                    countedFailures: ["upstream_5xx", "timeout", "connection"]))
        #expect(
            configure.prices == [
                "gpt-4o": ConfigureProvider.Price(inputPerMillion: 2.5, outputPerMillion: 10),
                "gpt-4o-mini": ConfigureProvider.Price(inputPerMillion: 0.15, outputPerMillion: 0.6),
            ])
        #expect(configure.models == ["gpt-4o", "gpt-4o-mini"])
        #expect(configure.defaultModel == "gpt-4o")
        #expect(configure.maxConcurrentCalls == 512)
        #expect(
            configure.sections == [
                "circuit_breaker", "default_model", "max_concurrent_calls", "models", "prices", "rate_limit",
            ])
        #expect(configure.presentSections == Set(ConfigureProvider.Section.allCases))

        // Accessors used for headers and answers.
        #expect(envelope.signal.requestID == "cfg-1")
        #expect(envelope.signal.replyTo == "ops.answers")
        #expect(envelope.messageKey == "cfg-1")
        #expect(envelope.headers().map(\.value) == ["configure_provider", "cfg-1", "ops.answers"])
        #expect(SignalType.configureProvider.answerTypes == [.providerConfigured])

        // decode → encode → decode: equal value, same fields.
        let encoded = try envelope.encoded()
        #expect(try parsed(encoded) == parsed(bytes(SignalExamples.configureProvider)))
        #expect(try SignalEnvelope.decode(encoded) == envelope)
    }

    @Test("a value built in Swift encodes and decodes back")
    func builtInSwift() throws {
        let configure = ConfigureProvider(
            rateLimit: .init(strategy: "token_bucket", requestsPerWindow: 10, windowMs: 1000),
            maxConcurrentCalls: 8)
        #expect(configure.sections == ["max_concurrent_calls", "rate_limit"])
        let envelope = SignalEnvelope(.configureProvider(configure), source: "ops/test")
        let text = String(decoding: try envelope.encoded(), as: UTF8.self)
        #expect(text.contains(#""rate_limit":{"requests_per_window":10,"strategy":"token_bucket","window_ms":1000}"#))
        #expect(!text.contains("request_id"))
        #expect(try SignalEnvelope.decode(envelope.encoded()) == envelope)
        #expect(envelope.signal.requestID == nil)
    }

    @Test("a single section is enough; absent sections stay absent")
    func singleSections() throws {
        let cases: [(String, [String])] = [
            (#"{"rate_limit":{"strategy":"fixed_window","window_ms":1000}}"#, ["rate_limit"]),
            (#"{"circuit_breaker":{}}"#, ["circuit_breaker"]),
            (#"{"circuit_breaker":{"counted_failures":[]}}"#, ["circuit_breaker"]),
            (#"{"prices":{}}"#, ["prices"]),
            (#"{"models":["llama3.2:3b"]}"#, ["models"]),
            (#"{"default_model":"gpt-4o"}"#, ["default_model"]),
            (#"{"max_concurrent_calls":1,"request_id":"c"}"#, ["max_concurrent_calls"]),
        ]
        for (data, sections) in cases {
            let envelope = try SignalEnvelope.decode(bytes(#"{"type":"configure_provider","data":\#(data)}"#))
            guard case .configureProvider(let configure) = envelope.signal else {
                Issue.record("wrong case")
                continue
            }
            #expect(configure.sections == sections, "\(data)")
            #expect(try parsed(envelope.encoded()) == parsed(bytes(#"{"type":"configure_provider","data":\#(data)}"#)))
        }
    }

    @Test("perSection: one signal per section, keyed by the section's wire name")
    func perSection() throws {
        let envelope = try SignalEnvelope.decode(bytes(SignalExamples.configureProvider))
        guard case .configureProvider(let configure) = envelope.signal else {
            Issue.record("wrong case")
            return
        }
        let parts = configure.perSection
        #expect(parts.map(\.key) == configure.sections)
        for part in parts {
            #expect(part.configuration.sections == [part.key])
            #expect(part.configuration.requestID == "cfg-1")
            #expect(part.configuration.replyTo == "ops.answers")
        }
        let rate = try #require(parts.first { $0.key == "rate_limit" })
        #expect(rate.configuration.rateLimit == configure.rateLimit)
        // Merging the parts gives the whole back.
        var merged = ConfigureProvider(requestID: "cfg-1", replyTo: "ops.answers")
        for part in parts {
            let p = part.configuration
            merged.rateLimit = p.rateLimit ?? merged.rateLimit
            merged.circuitBreaker = p.circuitBreaker ?? merged.circuitBreaker
            merged.prices = p.prices ?? merged.prices
            merged.models = p.models ?? merged.models
            merged.defaultModel = p.defaultModel ?? merged.defaultModel
            merged.maxConcurrentCalls = p.maxConcurrentCalls ?? merged.maxConcurrentCalls
        }
        #expect(merged == configure)
    }

    @Test(
        "invalid configure_provider: a typed error naming the field",
        arguments: [
            (
                #"{"rate_limit":{"strategy":"fixed_window"}}"#,
                SignalDecodingError.Code.missingField, "data.rate_limit.window_ms", "missing"
            ),
            (#"{"rate_limit":{"window_ms":1000}}"#, .missingField, "data.rate_limit.strategy", "missing"),
            (#"{"rate_limit":{"strategy":7,"window_ms":1000}}"#, .wrongType, "data.rate_limit.strategy", "string"),
            (
                #"{"rate_limit":{"strategy":"fixed_window","window_ms":1.5}}"#, .wrongType, "data.rate_limit.window_ms",
                "integer"
            ),
            (
                #"{"circuit_breaker":{"counted_failures":"timeout"}}"#, .wrongType,
                "data.circuit_breaker.counted_failures", "array"
            ),
            (
                #"{"circuit_breaker":{"failure_rate_threshold":"half"}}"#,
                .wrongType, "data.circuit_breaker.failure_rate_threshold", "number"
            ),
            (
                #"{"prices":{"gpt-4o":{"input_per_million":2.5}}}"#, .missingField,
                "data.prices.gpt-4o.output_per_million", "missing"
            ),
            (#"{"models":"gpt-4o"}"#, .wrongType, "data.models", "array"),
            (#"{"max_concurrent_calls":"many"}"#, .wrongType, "data.max_concurrent_calls", "integer"),
            (#"{"max_concurrent_calls":2,"request_id":""}"#, .invalidValue, "data.request_id", "empty"),
            (
                #"{"request_id":"cfg-9"}"#, .invalidValue, "data",
                """
                configure_provider sets nothing: give at least one of rate_limit, circuit_breaker, prices, models, \
                default_model, max_concurrent_calls
                """
            ),
            (#"{}"#, .invalidValue, "data", "sets nothing"),
            (#"{"models":null,"unknown_section":{"x":1}}"#, .invalidValue, "data", "sets nothing"),
        ])
    func invalid(data: String, code: SignalDecodingError.Code, path: String, mentions: String) throws {
        let error = try #require(decodingError(bytes(#"{"type":"configure_provider","data":\#(data)}"#)))
        #expect(error.code == code, "\(error)")
        #expect(error.path == path, "\(error)")
        #expect(error.message.hasPrefix(path + ": "), "\(error)")
        #expect(error.message.contains(mentions), "\(error)")
        #expect(error.signalType == "configure_provider")
    }

    /// What the values may be is the agent's rule (AgentCore's `ProviderPolicies.Change`, the
    /// configuration file's rules): decoding takes them as they are.
    @Test(
        "values out of range decode: the decoder checks structure and types only",
        arguments: [
            #"{"rate_limit":{"strategy":"leaky_bucket","window_ms":0,"requests_per_window":0,"tokens_per_window":-5}}"#,
            #"""
            {"circuit_breaker":{"failure_rate_threshold":1.5,"minimum_requests":60,"counted_failures":\#
            ["gremlins"]}}
            """#,
            #"{"prices":{"":{"input_per_million":-2.5,"output_per_million":-1}}}"#,
            #"{"models":[],"default_model":""}"#,
            #"{"models":["a"],"default_model":"b","max_concurrent_calls":0}"#,
        ])
    func outOfRangeValuesDecode(data: String) throws {
        let envelope = try SignalEnvelope.decode(bytes(#"{"type":"configure_provider","data":\#(data)}"#))
        guard case .configureProvider(let configure) = envelope.signal else {
            Issue.record("decoded as \(envelope.type)")
            return
        }
        #expect(!configure.sections.isEmpty)
        #expect(try parsed(envelope.encoded()) == parsed(bytes(#"{"type":"configure_provider","data":\#(data)}"#)))
    }

    @Test("an invalid configure_provider with a request_id can be answered with provider_error")
    func invalidWithRequestID() throws {
        let data = #"{"request_id":"cfg-2","rate_limit":{"strategy":"x","window_ms":"1"}}"#
        let error = try #require(decodingError(bytes(#"{"type":"configure_provider","data":\#(data)}"#)))
        #expect(error.requestID == "cfg-2")
        let answer = try #require(ProviderError(invalidRequest: error, provider: "openai"))
        #expect(answer.field == "data.rate_limit.window_ms")
        #expect(answer.error.hasPrefix("data.rate_limit.window_ms: expected"), "\(answer.error)")
    }

    @Test("configure_provider without data: missingField naming data")
    func missingData() throws {
        let error = try #require(decodingError(bytes(#"{"type":"configure_provider"}"#)))
        #expect(error.code == .missingField)
        #expect(error.path == "data")
    }

    @Test("provider_configured round-trips; error and instance are optional")
    func providerConfigured() throws {
        let envelope = try SignalEnvelope.decode(bytes(SignalExamples.providerConfigured))
        guard case .providerConfigured(let answer) = envelope.signal else {
            Issue.record("wrong case")
            return
        }
        #expect(
            answer
                == ProviderConfigured(
                    provider: "openai",
                    applied: [
                        "circuit_breaker", "default_model", "max_concurrent_calls", "models", "prices", "rate_limit",
                    ],
                    version: 7, instance: "host-1", requestID: "cfg-1"))
        #expect(envelope.signal.requestID == "cfg-1")
        #expect(envelope.messageKey == "cfg-1")
        #expect(SignalType.providerConfigured.answerTypes.isEmpty)
        let encoded = try envelope.encoded()
        #expect(try parsed(encoded) == parsed(bytes(SignalExamples.providerConfigured)))
        #expect(try SignalEnvelope.decode(encoded) == envelope)

        let failed = ProviderConfigured(
            provider: "local", applied: [], version: 3, error: "model \"x\" is not installed")
        let out = SignalEnvelope(.providerConfigured(failed), source: "agent/local/a")
        #expect(try SignalEnvelope.decode(out.encoded()) == out)
        #expect(out.signal.requestID == nil)
    }

    @Test(
        "invalid provider_configured names the field",
        arguments: [
            (#"{"provider":"openai","applied":["models"]}"#, SignalDecodingError.Code.missingField, "data.version"),
            (#"{"provider":"openai","applied":"models","version":1}"#, .wrongType, "data.applied"),
            (#"{"provider":"openai","applied":[],"version":1.5}"#, .wrongType, "data.version"),
            (#"{"applied":[],"version":1}"#, .missingField, "data.provider"),
        ])
    func invalidProviderConfigured(data: String, code: SignalDecodingError.Code, path: String) throws {
        let error = try #require(decodingError(bytes(#"{"type":"provider_configured","data":\#(data)}"#)))
        #expect(error.code == code, "\(error)")
        #expect(error.path == path, "\(error)")
    }
}
