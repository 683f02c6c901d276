import AgentCore
import Common
import Foundation
import Signals
import Testing

/// `configure_provider` decodes whatever values it carries; `ProviderPolicies.Change` holds them
/// to the configuration file's rules, in the file's words, naming the field.
@Suite("AgentCore: provider policies, one set of rules")
struct ProviderPoliciesTests {
    static let current = ProviderPolicies(models: ServedModels(["gpt-4o"], defaultModel: "gpt-4o"))

    static func change(_ data: String) throws -> ConfigureProvider {
        let envelope = try SignalEnvelope.decode(Array(#"{"type":"configure_provider","data":\#(data)}"#.utf8))
        guard case .configureProvider(let change) = envelope.signal else {
            throw InvalidSetting([], "decoded as \(envelope.type)")
        }
        return change
    }

    @Test(
        "a value breaking a rule is refused, naming the field relative to the policy",
        arguments: [
            (
                #"{"rate_limit":{"strategy":"leaky_bucket","window_ms":1000}}"#, "rate_limit.strategy",
                "unknown strategy 'leaky_bucket' (available: fixed_window, sliding_window, token_bucket)"
            ),
            (
                #"{"rate_limit":{"strategy":"fixed_window","window_ms":0}}"#, "rate_limit.window_ms",
                "must be >= 1, got 0"
            ),
            (
                #"{"rate_limit":{"strategy":"fixed_window","window_ms":1000,"requests_per_window":0}}"#,
                "rate_limit.requests_per_window", "must be >= 1, got 0"
            ),
            (
                #"{"rate_limit":{"strategy":"fixed_window","window_ms":1000,"tokens_per_window":-5}}"#,
                "rate_limit.tokens_per_window", "must be >= 1, got -5"
            ),
            (
                #"{"circuit_breaker":{"failure_rate_threshold":0}}"#,
                "circuit_breaker.failure_rate_threshold", "must be > 0 and <= 1, got 0.0"
            ),
            (
                #"{"circuit_breaker":{"failure_rate_threshold":1.5}}"#,
                "circuit_breaker.failure_rate_threshold", "must be > 0 and <= 1, got 1.5"
            ),
            (
                #"{"circuit_breaker":{"consecutive_failures":0}}"#,
                "circuit_breaker.consecutive_failures", "must be >= 1, got 0"
            ),
            (#"{"circuit_breaker":{"minimum_requests":0}}"#, "circuit_breaker.minimum_requests", "must be >= 1, got 0"),
            (#"{"circuit_breaker":{"rate_window_size":0}}"#, "circuit_breaker.rate_window_size", "must be >= 1, got 0"),
            (#"{"circuit_breaker":{"open_timeout_ms":-1}}"#, "circuit_breaker.open_timeout_ms", "must be >= 1, got -1"),
            (
                #"{"circuit_breaker":{"half_open_max_probes":0}}"#,
                "circuit_breaker.half_open_max_probes", "must be >= 1, got 0"
            ),
            (
                #"{"circuit_breaker":{"half_open_successes_to_close":0}}"#,
                "circuit_breaker.half_open_successes_to_close", "must be >= 1, got 0"
            ),
            // minimum_requests above the default window (50), with a threshold: the rule could never fire.
            (
                #"{"circuit_breaker":{"failure_rate_threshold":0.5,"minimum_requests":60}}"#,
                "circuit_breaker.minimum_requests",
                "must be <= rate_window_size (50), got 60: the failure rate rule could never open the circuit"
            ),
            (
                #"{"circuit_breaker":{"counted_failures":["timeout","gremlins"]}}"#,
                "circuit_breaker.counted_failures[1]",
                "unknown failure kind 'gremlins' (available: upstream_5xx, timeout, connection, rate_limited, "
                    + "invalid_request, authentication, other)"
            ),
            (
                #"{"prices":{"gpt-4o":{"input_per_million":-2.5,"output_per_million":10}}}"#,
                "prices.gpt-4o.input_per_million", "must be >= 0, got -2.5"
            ),
            (
                #"{"prices":{"gpt-4.1":{"input_per_million":2,"output_per_million":-1}}}"#,
                #"prices."gpt-4.1".output_per_million"#, "must be >= 0, got -1.0"
            ),
            (
                #"{"prices":{"":{"input_per_million":1,"output_per_million":1}}}"#,
                "prices", "a model name must not be empty"
            ),
            (#"{"models":[]}"#, "models", "must list at least one model"),
            (#"{"models":["a",""]}"#, "models[1]", "must not be empty"),
            (#"{"models":["a","a"]}"#, "models[1]", "model 'a' is listed twice"),
            (#"{"default_model":""}"#, "default_model", "must not be empty"),
            (#"{"models":["a"],"default_model":"b"}"#, "default_model", "'b' is not one of models (a)"),
            // Where sections meet, the current configuration counts (models [gpt-4o], default gpt-4o).
            (#"{"default_model":"x"}"#, "default_model", "'x' is not one of models (gpt-4o)"),
            (#"{"models":["b","a"]}"#, "default_model", "'gpt-4o' is not one of models (a, b)"),
            (#"{"max_concurrent_calls":0}"#, "max_concurrent_calls", "must be >= 1, got 0"),
        ])
    func refused(data: String, field: String, message: String) throws {
        let change = try Self.change(data)
        let invalid = #expect(throws: ProviderPolicies.Invalid.self) {
            _ = try ProviderPolicies.Change(change).applied(to: Self.current)
        }
        #expect(invalid?.field == field)
        #expect(invalid?.message == message)
        #expect(invalid?.description == "\(field): \(message)")
    }

    @Test("a valid change replaces whole sections (members left out at their defaults) and keeps the others")
    func applied() throws {
        let change = try Self.change(
            #"""
            {"rate_limit":{"strategy":"token_bucket","requests_per_window":10,"window_ms":1000},
             "circuit_breaker":{"minimum_requests":60,"rate_window_size":50,"counted_failures":[]},
             "models":["gpt-4o","gpt-4o-mini"],"default_model":"gpt-4o-mini"}
            """#)
        var current = Self.current
        current.prices = PriceTable(["gpt-4o": .init(inputPerMillion: 2.5, outputPerMillion: 10)])
        let result = try ProviderPolicies.Change(change).applied(to: current)
        #expect(result.rateLimit == RateLimitPolicy(strategy: .tokenBucket, requestsPerWindow: 10, window: .seconds(1)))
        // Without a threshold, minimum_requests above the window is allowed (the rule is off).
        #expect(result.breaker == CircuitBreakerPolicy(minimumRequests: 60, rateWindowSize: 50, countedFailures: []))
        #expect(result.models == ServedModels(["gpt-4o", "gpt-4o-mini"], defaultModel: "gpt-4o-mini"))
        #expect(result.prices == current.prices, "no prices section: unchanged")
        #expect(result.maxConcurrentCalls == current.maxConcurrentCalls)
        try result.validate()
    }

    @Test("the policies' own validators name fields relative to the policy")
    func validators() {
        let soft = InvalidSetting(
            ["resources", "soft_cpu_percent"],
            "needs max_cpu_percent (the load at which concurrency reaches 1 and requests are refused)"
        )
        #expect(throws: soft) {
            try ResourcePolicy(softCPUPercent: 50).validate()
        }
        #expect(throws: InvalidSetting(["resources", "refresh_ms"], "must be >= 10, got 5")) {
            try ResourcePolicy(refreshInterval: .milliseconds(5)).validate()
        }
        let neither = InvalidSetting(
            ["model_limits", "gpt-"], "needs requests_per_minute or tokens_per_minute (or both)"
        )
        #expect(throws: neither) {
            try ModelRateTiers(["gpt-": RateLimitPolicy()]).validate()
        }
        #expect(throws: InvalidSetting(["model_limits", "gpt-", "tokens_per_minute"], "must be >= 1, got 0")) {
            try ModelRateTiers(["gpt-": RateLimitPolicy(requestsPerWindow: 5, tokensPerWindow: 0)]).validate()
        }
        #expect(throws: Never.self) {
            try ModelRateTiers.openAIDefaults.validate()
            try ModelRateTiers.anthropicDefaults.validate()
            try ProviderPolicies(models: ServedModels(["m"])).validate()
        }
    }
}
