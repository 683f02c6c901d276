import Agent
import AgentCore
import AsyncHTTPClient
import Kafka
import KafkaTestSupport
import Providers
import Signals
import Synchronization

/// One provider agent (``ProviderAgent`` as deployed: consumer group on `llm.requests.<p>`, ledger,
/// control topic, awaited publishing, offsets stored after each answer's acknowledgement) in front
/// of the in-process ``TestProvider`` with a fixed latency, on fresh topics under a unique prefix.
///
/// An ``AnswerCollector`` reads `llm.responses`, `llm.errors` and `llm.dlq` from the start. The
/// agent starts and answers a warm-up (100 requests per partition: group join, connections, every
/// partition's ledger read); once it is idle again the process's RSS is taken (after returning free
/// heap to the system); then the timed requests are sent as fast as the producer goes (far faster
/// than the agent answers, so they queue up as a backlog). The run ends when every request has
/// exactly one `provider_response`; a `provider_error`, a dead letter or a missing answer fails it.
/// Calls in progress at the provider and RSS are sampled every 10 ms, the agent's own in-flight
/// count is read from its `provider_status` (published every 100 ms here).
struct AgentScenario {
    struct Setup: Sendable {
        /// Provider latency.
        var latency: Duration
        /// Timed requests (the warm-up comes on top).
        var requests: Int
        var maxInFlight: Int
        var maxConcurrentCalls: Int
        /// The agent's ledger (two acknowledged writes per call); off measures what it costs.
        var ledger = true
        /// Who answers the calls: the in-process test provider, or a real adapter calling the
        /// fake upstream over HTTP (the latency then asked of it per request).
        var backend: BenchBackend = .test

        var label: String {
            (backend == .test ? "" : "\(backend.rawValue) → fake upstream, ")
                + "\(Int((latency.seconds * 1000).rounded())) ms" + (ledger ? "" : ", no ledger")
        }
    }

    struct Outcome: Sendable {
        var setup: Setup
        var warmup: Int
        /// Average request value size in bytes.
        var requestBytes: Int
        var answers: AnswerCollector.Outcome
        /// Agent started → warm-up answered (group join, ledger reads; not in the rate).
        var startup: Duration
        /// RSS with the agent warmed up and idle, just before the timed requests.
        var residentIdle: Int?
        var resources: ResourceSampler.Summary
        /// Most provider calls in progress at once (exact).
        var peakCalls: Int
        /// Highest `metrics.in_flight` the agent reported, with the RSS when it was read.
        var peakAgentInFlight: ResourceSampler.Sample?
        /// Calls that reached the test provider (should equal warm-up + timed requests).
        var providerCalls: Int
    }

    static let model = "gpt-4o-mini"

    let context: BenchmarkContext
    /// The fake upstream's base URL, for the HTTP backends.
    var upstreamURL: String?
    /// The HTTP client the adapters share (one per process, as in the agent command).
    var httpClient: HTTPClient?

    func run(_ setup: Setup) async throws -> Outcome {
        let provider = uniqueName("bench").replacing("-", with: "")
        var configuration = ProviderAgentConfiguration(
            provider: provider, instanceID: "bench-1", bootstrapServers: context.bootstrapServers,
            topicPrefix: uniqueName("bench-agent") + ".",
            maxInFlight: setup.maxInFlight, maxConcurrentCalls: setup.maxConcurrentCalls,
            models: [setup.backend.model], defaultModel: setup.backend.model, sessionTimeout: .seconds(6)
        )
        configuration.statusInterval = .milliseconds(100)
        configuration.ledger = setup.ledger
        configuration.latency = context.agentProfile
        try await context.createTopics(topics(configuration))

        let warmup = 100 * context.partitions
        let total = warmup + setup.requests
        let load = RequestLoad(model: setup.backend.model)
        let warmMessages = load.messages(0..<warmup, topic: configuration.requestTopic)
        let timedMessages = load.messages(warmup..<total, topic: configuration.requestTopic)
        let requestBytes = timedMessages.reduce(0) { $0 + $1.value.count } / max(1, timedMessages.count)

        let collector = try AnswerCollector(
            context: context,
            expectation: .init(
                topic: configuration.responseTopic, signalType: "provider_response",
                failureTopics: [configuration.errorTopic, configuration.deadLetterTopic], partitions: context.partitions
            ),
            total: total, timedFrom: warmup, boundedPrefetch: true
        )
        let status: StatusWatch
        let producer: LoadProducer
        let agent: ProviderAgent
        let counting = CountingProvider(try makeProvider(setup, name: provider))
        do {
            status = try StatusWatch(context: context, topic: configuration.statusTopic, partitions: 3)
            do {
                producer = try await LoadProducer(context: context)
                do {
                    agent = try ProviderAgent(configuration: configuration, provider: counting, logger: context.logger)
                } catch {
                    await producer.close()
                    throw error
                }
            } catch {
                await status.close(context)
                throw error
            }
        } catch {
            await collector.close(context)
            throw error
        }

        progress(
            """
            [agent \(setup.label)] agent: max in flight \(setup.maxInFlight), max concurrent calls \
            \(setup.maxConcurrentCalls), no rate limit; warm-up: \(warmup) requests
            """
        )
        let started = ContinuousClock.now
        let stopped = Flag()
        let running = Task {
            defer { stopped.set() }
            try await agent.run()
        }
        let sampler = ResourceSampler()
        do {
            try await producer.send(warmMessages)
            try await Self.unlessStopped(stopped, running) {
                try await collector.waitForAnswers(warmup, timeout: context.phaseTimeout)
            }
            let startup = ContinuousClock.now - started
            // Idle: let the last acknowledgements, commits and status settle, then give free heap back.
            try await Task.sleep(for: .seconds(1))
            ProcessUsage.trimHeap()
            let residentIdle = ProcessUsage.residentBytes()
            sampler.start { counting.inFlight }

            progress(
                """
                [agent \(setup.label)] \(setup.requests) timed provider_request signals to \
                \(configuration.requestTopic)
                """
            )
            try await producer.send(timedMessages)
            let answers = try await Self.unlessStopped(stopped, running) {
                try await collector.outcome(timeout: context.phaseTimeout)
            }
            let resources = sampler.stop(inFlight: counting.inFlight)
            withExtendedLifetime(timedMessages) {}  // freed only now, so the agent cannot reuse their memory unseen
            try await stop(agent, running)
            await Self.close(collector, status, producer, context)
            try Self.verify(answers.samples, provider: provider)
            return Outcome(
                setup: setup, warmup: warmup, requestBytes: requestBytes, answers: answers, startup: startup,
                residentIdle: residentIdle, resources: resources, peakCalls: counting.peakInFlight,
                peakAgentInFlight: status.peak, providerCalls: counting.totalCalls
            )
        } catch {
            _ = sampler.stop(inFlight: counting.inFlight)
            try? await stop(agent, running)
            await Self.close(collector, status, producer, context)
            throw error
        }
    }

    /// The provider under the agent: the test provider with the fixed latency, or the backend's
    /// adapter against the fake upstream (which waits the latency, asked per request).
    private func makeProvider(_ setup: Setup, name: String) throws -> any LLMProvider {
        guard setup.backend != .test else {
            return TestProvider(
                configuration: .init(
                    name: name, models: [ModelInfo(id: setup.backend.model, contextWindow: 128_000)],
                    latency: .fixed(setup.latency)
                ))
        }
        guard let upstreamURL, let httpClient else {
            throw BenchmarkFailure("no fake upstream for the \(setup.backend.rawValue) backend")
        }
        var configuration = HTTPProviderConfiguration(
            baseURL: upstreamURL, apiKey: "sk-bench", requestTimeout: .seconds(60),
            models: [ModelInfo(id: setup.backend.model, contextWindow: 128_000, features: [.chat, .streaming])]
        )
        let milliseconds = Int((setup.latency.seconds * 1000).rounded())
        if milliseconds > 0 { configuration.extraHeaders["x-fake-latency-ms"] = "\(milliseconds)" }
        switch setup.backend {
        case .openai: return OpenAIProvider(name: name, configuration: configuration, client: httpClient)
        case .anthropic: return AnthropicProvider(name: name, configuration: configuration, client: httpClient)
        case .ollama: return OllamaProvider(name: name, configuration: configuration, client: httpClient)
        case .test: throw BenchmarkFailure("unreachable")
        }
    }

    /// Every topic the agent uses, under the run's prefix: the ledger with the request topic's
    /// partition count, the control topic with one partition (both as in topics/topics.yaml).
    private func topics(_ configuration: ProviderAgentConfiguration) -> [KafkaTopicSpec] {
        let partitions = context.partitions
        return [
            KafkaTopicSpec(name: configuration.requestTopic, partitions: partitions),
            KafkaTopicSpec(
                name: configuration.ledgerTopic, partitions: partitions, configs: ["cleanup.policy": "delete"]),
            KafkaTopicSpec(name: configuration.controlTopic, partitions: 1, configs: ["cleanup.policy": "compact"]),
            KafkaTopicSpec(name: configuration.responseTopic, partitions: partitions),
            KafkaTopicSpec(name: configuration.errorTopic, partitions: partitions),
            KafkaTopicSpec(name: configuration.deadLetterTopic, partitions: partitions),
            KafkaTopicSpec(name: configuration.statusTopic, partitions: 3, configs: ["cleanup.policy": "compact"]),
        ]
    }

    /// Set once the agent's `run()` has returned or thrown.
    private final class Flag: Sendable {
        private let value = Atomic<Bool>(false)
        func set() { value.store(true, ordering: .releasing) }
        var isSet: Bool { value.load(ordering: .acquiring) }
    }

    /// `body`'s result; fails early when the agent stops (returns or throws) before it is done.
    private static func unlessStopped<T: Sendable>(
        _ stopped: Flag, _ agent: Task<Void, any Error>, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await body() }
            group.addTask {
                // Polled, not `agent.value`: the group must be able to end (cancel this) while the agent runs.
                while !stopped.isSet { try await Task.sleep(for: .milliseconds(50)) }
                try await agent.value
                throw BenchmarkFailure("the agent stopped before every request was answered")
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() else { throw BenchmarkFailure("no result") }
            return first
        }
    }

    /// Graceful stop: the agent drains (nothing is in flight by now), commits, leaves the group.
    private func stop(_ agent: ProviderAgent, _ running: Task<Void, any Error>) async throws {
        agent.shutdown()
        try await withDeadline(context.phaseTimeout, "stop the agent") { try await running.value }
    }

    private static func close(
        _ collector: AnswerCollector, _ status: StatusWatch, _ producer: LoadProducer, _ context: BenchmarkContext
    ) async {
        await producer.close()
        await status.close(context)
        await collector.close(context)
    }

    /// The sampled answers decode strictly as `provider_response` for the request their key names.
    private static func verify(_ samples: [(key: [UInt8]?, value: [UInt8])], provider: String) throws {
        let decoder = SignalDecoder()
        for sample in samples {
            let key = sample.key.map { String(decoding: $0, as: UTF8.self) } ?? "none"
            let envelope: SignalEnvelope
            do {
                envelope = try decoder.decode(sample.value)
            } catch {
                throw BenchmarkFailure("answer for \(key) does not decode: \(error)")
            }
            guard case .providerResponse(let response) = envelope.signal, response.requestID == key,
                response.provider == provider
            else {
                throw BenchmarkFailure(
                    """
                    answer for \(key) is not its provider_response: \
                    \(String(decoding: sample.value.prefix(300), as: UTF8.self))
                    """
                )
            }
        }
    }
}
