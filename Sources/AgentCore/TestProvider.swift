import Common
import Foundation
public import Signals
import Synchronization

/// A deterministic in-process provider for tests, demos and benchmarks: configurable latency
/// distribution and failure modes, reproducible from a seed, and it counts every call it served
/// (per request id), so tests can prove what reached "the provider".
public final class TestProvider: LLMProvider {
    /// How long a call takes.
    public enum Latency: Sendable, Hashable {
        case fixed(Duration)
        /// Uniform between the bounds.
        case uniform(Duration, Duration)
        /// Exponential with this mean (long tail), capped at 20 × the mean.
        case exponential(mean: Duration)
    }

    /// What can go wrong, drawn per call (probabilities add up to at most 1).
    public struct Failures: Sendable, Hashable {
        public var serverError: Double
        public var timeout: Double
        public var rateLimited: Double
        /// `retry_after` of a simulated 429.
        public var rateLimitRetryAfter: Duration

        public init(
            serverError: Double = 0, timeout: Double = 0, rateLimited: Double = 0,
            rateLimitRetryAfter: Duration = .seconds(1)
        ) {
            self.serverError = serverError
            self.timeout = timeout
            self.rateLimited = rateLimited
            self.rateLimitRetryAfter = rateLimitRetryAfter
        }
    }

    public struct Configuration: Sendable {
        public var name: String
        public var models: [ModelInfo]
        public var latency: Latency
        public var failures: Failures
        public var seed: UInt64
        public var streamChunks: Int

        public init(
            name: String = "test",
            models: [ModelInfo] = [
                ModelInfo(id: "test-model", contextWindow: 128_000, features: [.chat, .streaming, .tools])
            ],
            latency: Latency = .fixed(.zero),
            failures: Failures = Failures(),
            seed: UInt64 = 42,
            streamChunks: Int = 4
        ) {
            self.name = name
            self.models = models
            self.latency = latency
            self.failures = failures
            self.seed = seed
            self.streamChunks = streamChunks
        }
    }

    private struct State {
        var random: SplitMix64
        var configuration: Configuration
        /// Scripted outcomes for the next calls, served before any random draw.
        var script: [ProviderCallError?] = []
        var calls: [String: Int] = [:]
        var totalCalls = 0
    }

    private let state: Mutex<State>
    private let sleep: @Sendable (Duration) async throws -> Void

    /// - Parameter sleep: how latency is spent; tests may inject a no-op or a test clock.
    public init(
        configuration: Configuration = Configuration(),
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        state = Mutex(State(random: SplitMix64(seed: configuration.seed), configuration: configuration))
        self.sleep = sleep
    }

    public var name: String { state.withLock { $0.configuration.name } }

    public var supportedFeatures: Set<ProviderFeature> {
        state.withLock { $0.configuration.models.reduce(into: Set<ProviderFeature>()) { $0.formUnion($1.features) } }
    }

    /// Makes the next calls end with these outcomes (`nil`: success), in order.
    public func script(_ outcomes: [ProviderCallError?]) {
        state.withLock { $0.script += outcomes }
    }

    public func reconfigure(_ change: @Sendable (inout Configuration) -> Void) {
        state.withLock { change(&$0.configuration) }
    }

    /// Calls served for `requestID` (the provider was "paid" this many times).
    public func calls(for requestID: String) -> Int { state.withLock { $0.calls[requestID] ?? 0 } }
    public var totalCalls: Int { state.withLock { $0.totalCalls } }

    public func models() async throws(ProviderCallError) -> [ModelInfo] {
        state.withLock { $0.configuration.models }
    }

    public func health() async -> ProviderHealth { .healthy }

    public func complete(_ request: ProviderRequest) async throws(ProviderCallError) -> Completion {
        let plan = try draw(for: request)
        do {
            // A zero latency answers without suspending (no timer, no extra wake-up).
            if plan.latency > .zero { try await sleep(plan.latency) }
        } catch {
            throw ProviderCallError(type: .timeout, message: "call cancelled", retryable: true, breakerKind: .timeout)
        }
        if let failure = plan.failure { throw failure }
        return plan.completion
    }

    public func stream(_ request: ProviderRequest) -> AsyncThrowingStream<StreamEvent, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let plan = try draw(for: request)
                    let pieces = Self.split(plan.completion.content, into: plan.chunks)
                    for piece in pieces {
                        try await sleep(plan.latency / max(1, pieces.count))
                        continuation.yield(.delta(piece))
                    }
                    if let failure = plan.failure { throw failure }
                    continuation.yield(.finished(plan.completion))
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    // MARK: Deterministic behaviour

    private struct Plan {
        var latency: Duration
        var failure: ProviderCallError?
        var completion: Completion
        var chunks: Int
    }

    private func draw(for request: ProviderRequest) throws(ProviderCallError) -> Plan {
        try state.withLock { state throws(ProviderCallError) -> Plan in
            let configuration = state.configuration
            let model = request.model ?? configuration.models.first?.id ?? "test-model"
            guard configuration.models.contains(where: { $0.id == model }) else { throw .modelUnavailable(model) }
            state.calls[request.requestID, default: 0] += 1
            state.totalCalls += 1
            let latency = Self.latency(configuration.latency, &state.random)
            let failure: ProviderCallError?
            if !state.script.isEmpty {
                failure = state.script.removeFirst()
            } else {
                failure = Self.failure(configuration.failures, &state.random)
            }
            let prompt = request.messages.last?.content.plainText ?? ""
            let content = "echo(\(model)): \(prompt)"
            let promptTokens = max(1, request.messages.reduce(0) { $0 + $1.content.plainText.utf8.count } / 4)
            let completionTokens = max(1, content.utf8.count / 4)
            let completion = Completion(
                model: model, content: content, finishReason: "stop",
                usage: TokenUsage(promptTokens: promptTokens, completionTokens: completionTokens)
            )
            return Plan(latency: latency, failure: failure, completion: completion, chunks: configuration.streamChunks)
        }
    }

    private static func latency(_ latency: Latency, _ random: inout SplitMix64) -> Duration {
        switch latency {
        case .fixed(let duration):
            return duration
        case .uniform(let low, let high):
            return low + (high - low) * random.nextUnit()
        case .exponential(let mean):
            let draw = -log(1 - random.nextUnit())
            return mean * min(20, draw)
        }
    }

    private static func failure(_ failures: Failures, _ random: inout SplitMix64) -> ProviderCallError? {
        let draw = random.nextUnit()
        if draw < failures.serverError { return .serverError("simulated 500 from the test provider") }
        if draw < failures.serverError + failures.timeout {
            return .timeout("simulated timeout from the test provider")
        }
        if draw < failures.serverError + failures.timeout + failures.rateLimited {
            return .rateLimited("simulated 429 from the test provider", retryAfter: failures.rateLimitRetryAfter)
        }
        return nil
    }

    private static func split(_ text: String, into count: Int) -> [String] {
        let characters = Array(text)
        let size = max(1, (characters.count + max(1, count) - 1) / max(1, count))
        return stride(from: 0, to: characters.count, by: size).map {
            String(characters[$0..<min(characters.count, $0 + size)])
        }
    }
}
