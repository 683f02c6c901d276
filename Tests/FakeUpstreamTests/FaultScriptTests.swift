import Foundation
import Testing

@testable import FakeUpstream

@Suite("Fake upstream: fault scripts")
struct FaultScriptTests {
    /// The faults `script` decides for `requests` (provider, model) in order.
    static func run(_ script: FaultScript, _ requests: [(FaultRule.Provider, String)]) -> [FakeFault?] {
        var run = FaultScript.Run(script)
        return requests.map { run.decide(provider: $0.0, model: $0.1) }
    }

    static func openai(_ count: Int) -> [(FaultRule.Provider, String)] {
        Array(repeating: (.openai, "gpt-4o"), count: count)
    }

    @Test("count: the next N matching requests, then none; other providers and models are not counted")
    func count() {
        let script = FaultScript(rules: [
            FaultRule(fault: .tooManyRequests, provider: .openai, model: "gpt-4o", budget: .count(2))
        ])
        let faults = Self.run(
            script,
            [
                (.anthropic, "gpt-4o"), (.openai, "gpt-4o-mini"), (.openai, "gpt-4o"), (.openai, "gpt-4o"),
                (.openai, "gpt-4o"),
            ])
        #expect(faults == [nil, nil, .tooManyRequests, .tooManyRequests, nil])
    }

    @Test("every: the Nth, 2Nth, … matching request")
    func every() {
        let faults = Self.run(FaultScript(rules: [FaultRule(fault: .cut, budget: .every(3))]), Self.openai(9))
        #expect(faults.enumerated().filter { $0.element == .cut }.map(\.offset) == [2, 5, 8])
    }

    @Test("probability: the same seed gives the same faults, another seed others; the share is close to p")
    func probability() {
        let rule = { (seed: UInt64) in
            FaultScript(rules: [FaultRule(fault: .serverError, budget: .probability(0.3, seed: seed))])
        }
        let first = Self.run(rule(42), Self.openai(10_000))
        let again = Self.run(rule(42), Self.openai(10_000))
        let other = Self.run(rule(43), Self.openai(10_000))
        #expect(first == again)
        #expect(first != other)
        let share = Double(first.compactMap { $0 }.count) / 10_000
        #expect(abs(share - 0.3) < 0.02, "share \(share)")
        #expect(
            Self.run(
                FaultScript(rules: [FaultRule(fault: .serverError, budget: .probability(0, seed: 1))]), Self.openai(100)
            ).allSatisfy { $0 == nil })
        #expect(
            Self.run(
                FaultScript(rules: [FaultRule(fault: .serverError, budget: .probability(1, seed: 1))]), Self.openai(100)
            ).allSatisfy { $0 == .serverError })
    }

    @Test("rules in order: the first that fires decides; a later rule sees only what earlier ones let through")
    func order() {
        let script = FaultScript(rules: [
            FaultRule(fault: .tooManyRequests, budget: .count(1)),
            FaultRule(fault: .malformed, budget: .every(2)),
        ])
        #expect(Self.run(script, Self.openai(5)) == [.tooManyRequests, nil, .malformed, nil, .malformed])
    }

    @Test("JSON: rules read with every field; the state shows matched, injected, remaining")
    func json() throws {
        let body = try JSONSerialization.jsonObject(
            with: Data(
                #"""
                {"rules": [{"fault": "429", "provider": "openai", "model": "gpt-4o", "count": 2},
                           {"fault": "unknown-finish-reason", "every": 3},
                           {"fault": "timeout", "provider": "anthropic", "probability": 0.5, "seed": 9},
                           {"fault": "slow-first-byte"}]}
                """#.utf8))
        let script = try FaultScript(json: body)
        #expect(
            script.rules == [
                FaultRule(fault: .tooManyRequests, provider: .openai, model: "gpt-4o", budget: .count(2)),
                FaultRule(fault: .unknownFinishReason, budget: .every(3)),
                FaultRule(fault: .timeout, provider: .anthropic, budget: .probability(0.5, seed: 9)),
                FaultRule(fault: .slowFirstByte),
            ])
        var run = FaultScript.Run(script)
        _ = run.decide(provider: .openai, model: "gpt-4o")
        let first = try #require((run.json["rules"] as? [[String: Any]])?.first)
        #expect(first["matched"] as? Int == 1)
        #expect(first["injected"] as? Int == 1)
        #expect(first["remaining"] as? Int == 1)
    }

    @Test(
        "a bad script is refused with the place and the problem",
        arguments: [
            (#"[]"#, "the body: expected an object"),
            (#"{}"#, "rules: required"),
            (#"{"rules": {}}"#, "rules: expected a list of rules"),
            (#"{"rules": [{"count": 1}]}"#, "rules[0].fault: required"),
            (#"{"rules": [{"fault": "418"}]}"#, "rules[0].fault: unknown fault \"418\""),
            (#"{"rules": [{"fault": "429", "provider": "azure"}]}"#, "rules[0].provider: unknown provider \"azure\""),
            (
                #"{"rules": [{"fault": "429"}, {"fault": "500", "count": 0}]}"#,
                "rules[1].count: expected an integer >= 1, got 0"
            ),
            (#"{"rules": [{"fault": "429", "every": 2.5}]}"#, "rules[0].every: expected an integer >= 1, got 2.5"),
            (
                #"{"rules": [{"fault": "429", "count": 1, "every": 2}]}"#,
                "rules[0]: give at most one of count, every, probability"
            ),
            (
                #"{"rules": [{"fault": "429", "probability": 1.5}]}"#,
                "rules[0].probability: expected a number in 0.0...1.0, got 1.5"
            ),
            (#"{"rules": [{"fault": "429", "seed": 3}]}"#, "rules[0].seed: only meaningful with probability"),
            (#"{"rules": [{"fault": "429", "cuont": 3}]}"#, "rules[0].cuont: unknown member"),
            (#"{"rules": [{"fault": "429", "count": true}]}"#, "rules[0].count: expected an integer >= 1, got true"),
            (#"{"rules": [{"fault": "429", "model": ""}]}"#, "rules[0].model: must not be empty"),
        ])
    func badScripts(_ body: String, _ expected: String) throws {
        let value = try JSONSerialization.jsonObject(with: Data(body.utf8), options: [.fragmentsAllowed])
        do {
            _ = try FaultScript(json: value)
            Issue.record("\(body) should be refused")
        } catch {
            #expect(error.message.contains(expected), "\(error.message)")
        }
    }

    @Test("a configuration file (YAML or JSON): faults, latency, settings; errors name the file and the place")
    func file() throws {
        let yaml = """
            port: 8089
            stream_chunks: 3
            retry_after_seconds: 2
            hang_ms: 1500
            latency: {distribution: "normal:200ms,50ms", seed: 7}
            faults:
              - {fault: 429, provider: openai, count: 2}
              - {fault: cut, every: 5}
            """
        let configuration = try FakeUpstreamConfiguration().applying(fileContents: yaml, named: "fake.yaml")
        #expect(configuration.port == 8089)
        #expect(configuration.streamChunks == 3)
        #expect(configuration.retryAfterSeconds == 2)
        #expect(configuration.hangTime == .milliseconds(1500))
        #expect(
            configuration.latency
                == FakeLatency(.normal(mean: .milliseconds(200), standardDeviation: .milliseconds(50)), seed: 7))
        #expect(
            configuration.faults.rules == [
                FaultRule(fault: .tooManyRequests, provider: .openai, budget: .count(2)),
                FaultRule(fault: .cut, budget: .every(5)),
            ])
        let json = try FakeUpstreamConfiguration().applying(
            fileContents: #"{"latency": "uniform:10ms..20ms", "faults": []}"#, named: "fake.json")
        #expect(json.latency == FakeLatency(.uniform(min: .milliseconds(10), max: .milliseconds(20))))
        #expect(json.faults.rules.isEmpty)
        for (text, expected) in [
            ("faults:\n  - {fault: 429, count: -1}", "fake.yaml: faults[0].count: expected an integer >= 1, got -1"),
            (
                "latency: triangular:1ms",
                "fake.yaml: latency: latency 'triangular:1ms': unknown distribution 'triangular'"
            ),
            ("prot: 1", "fake.yaml: prot: unknown member"),
            ("port: 70000", "fake.yaml: port: expected 0...65535"),
            ("faults: [", "fake.yaml: not YAML or JSON"),
        ] {
            do {
                _ = try FakeUpstreamConfiguration().applying(fileContents: text, named: "fake.yaml")
                Issue.record("\(text) should be refused")
            } catch {
                #expect(error.message.hasPrefix(expected), "\(error.message)")
            }
        }
    }
}
