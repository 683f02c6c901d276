import AgentCore
import Signals
import Synchronization
import Testing

@Suite("Test provider")
struct TestProviderTests {
    func request(_ id: String, model: String? = "test-model", text: String = "hello") -> ProviderRequest {
        ProviderRequest(requestID: id, messages: [ChatMessage(role: .user, content: .text(text))], model: model)
    }

    @Test("completes deterministically with usage, and counts calls per request")
    func completes() async throws {
        let provider = TestProvider(sleep: { _ in })
        let completion = try await provider.complete(request("r1", text: "Say hi"))
        #expect(completion.content == "echo(test-model): Say hi")
        #expect(completion.finishReason == "stop")
        #expect(completion.usage.promptTokens >= 1 && completion.usage.completionTokens >= 1)
        _ = try await provider.complete(request("r1"))
        #expect(provider.calls(for: "r1") == 2)
        #expect(provider.calls(for: "other") == 0)
        #expect(provider.totalCalls == 2)
    }

    @Test("an unknown model is refused before it counts as a call")
    func unknownModel() async {
        let provider = TestProvider(sleep: { _ in })
        let error = await #expect(throws: ProviderCallError.self) {
            _ = try await provider.complete(request("r", model: "nope"))
        }
        #expect(error?.type == .modelUnavailable)
        #expect(error?.retryable == false)
        #expect(provider.totalCalls == 0)
    }

    @Test("scripted outcomes come first, in order")
    func scripted() async throws {
        let provider = TestProvider(sleep: { _ in })
        provider.script([.serverError("boom"), nil, .rateLimited("slow down", retryAfter: .seconds(2))])
        let first = await #expect(throws: ProviderCallError.self) { _ = try await provider.complete(request("a")) }
        #expect(first?.breakerKind == .upstreamServerError)
        _ = try await provider.complete(request("b"))
        let third = await #expect(throws: ProviderCallError.self) { _ = try await provider.complete(request("c")) }
        #expect(third?.retryAfter == .seconds(2))
    }

    @Test("random failures follow the configured rates and the same seed repeats the same run")
    func failureRates() async {
        func run(seed: UInt64) async -> [String] {
            let provider = TestProvider(
                configuration: .init(failures: .init(serverError: 0.2, timeout: 0.1), seed: seed),
                sleep: { _ in }
            )
            var outcomes: [String] = []
            for index in 0..<2000 {
                do {
                    _ = try await provider.complete(request("r\(index)"))
                    outcomes.append("ok")
                } catch {
                    outcomes.append(error.type.rawValue)
                }
            }
            return outcomes
        }
        let first = await run(seed: 7)
        let again = await run(seed: 7)
        let other = await run(seed: 8)
        #expect(first == again)
        #expect(first != other)
        let serverErrors = Double(first.filter { $0 == "provider_error" }.count) / 2000
        let timeouts = Double(first.filter { $0 == "timeout" }.count) / 2000
        #expect(abs(serverErrors - 0.2) < 0.03)
        #expect(abs(timeouts - 0.1) < 0.03)
    }

    @Test("latency distributions: the injected sleep receives the drawn latency")
    func latency() async throws {
        let slept = SleepLog()
        let provider = TestProvider(
            configuration: .init(latency: .uniform(.milliseconds(100), .milliseconds(200))),
            sleep: { slept.add($0) }
        )
        for index in 0..<200 { _ = try await provider.complete(request("r\(index)")) }
        let values = slept.values
        #expect(values.count == 200)
        #expect(values.allSatisfy { $0 >= .milliseconds(100) && $0 <= .milliseconds(200) })
        #expect(values.contains { $0 < .milliseconds(120) } && values.contains { $0 > .milliseconds(180) })
    }

    @Test("streaming yields the content in ordered deltas, then the completion")
    func streaming() async throws {
        let provider = TestProvider(configuration: .init(streamChunks: 3), sleep: { _ in })
        var deltas: [String] = []
        var final: Completion?
        for try await event in provider.stream(request("s", text: "stream me please")) {
            switch event {
            case .delta(let text): deltas.append(text)
            case .finished(let completion): final = completion
            }
        }
        #expect(deltas.count == 3)
        #expect(deltas.joined() == final?.content)
        #expect(final?.content == "echo(test-model): stream me please")
    }
}

/// Durations the provider asked to sleep (instead of sleeping).
final class SleepLog: Sendable {
    private let storage = Mutex<[Duration]>([])
    func add(_ duration: Duration) { storage.withLock { $0.append(duration) } }
    var values: [Duration] { storage.withLock { $0 } }
}
