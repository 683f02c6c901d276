import Agent
import AgentCore
import Foundation
import Kafka
import KafkaTestSupport
import Logging
import ProviderClient
import ServiceLifecycle
import Signals
import Synchronization
import Testing

/// The client against a real broker (Tansu) and a real provider agent in this process.
@Suite("ProviderClient on Tansu", .timeLimit(.minutes(3)))
struct ProviderClientIntegrationTests {
    struct Fixture {
        let broker: TansuBroker
        let provider: String
        let prefix: String
        let agentConfiguration: ProviderAgentConfiguration

        init() async throws {
            broker = try await TansuBroker.shared()
            provider = uniqueName("p").replacingOccurrences(of: "-", with: "")
            prefix = uniqueName("client") + "."
            agentConfiguration = ProviderAgentConfiguration(
                provider: provider, instanceID: "i1", bootstrapServers: broker.bootstrapServers, topicPrefix: prefix,
                models: ["test-model"], defaultModel: "test-model", sessionTimeout: .seconds(6)
            )
            try await broker.createTopic(agentConfiguration.requestTopic, partitions: 3)
            try await broker.createTopic(agentConfiguration.ledgerTopic, partitions: 3)
            try await broker.createTopic(agentConfiguration.controlTopic, partitions: 1)
            for topic in [
                agentConfiguration.responseTopic, agentConfiguration.errorTopic, agentConfiguration.deadLetterTopic,
                agentConfiguration.statusTopic,
            ] {
                try await broker.createTopic(topic, partitions: 3)
            }
        }

        var requestTopic: String { agentConfiguration.requestTopic }

        /// A client of this fixture's topics (prefix), with its own per-client reply topic unless told otherwise.
        func client(replyTopic: String? = nil) throws -> ProviderClient {
            var configuration = ProviderClientConfiguration(
                bootstrapServers: broker.bootstrapServers, clientID: uniqueName("c"))
            configuration.topicPrefix = prefix
            configuration.replyTopic = replyTopic
            return try ProviderClient(configuration: configuration, logger: quietLogger)
        }

        /// A topic nobody reads: requests sent there are answered by the test or not at all.
        func silentTopic() async throws -> String {
            let topic = prefix + uniqueName("silent")
            try await broker.createTopic(topic, partitions: 1)
            return topic
        }

        /// Publishes an answer signal the way an agent or router would (keyed by request id, headers).
        func publish(_ signal: Signal, to topic: String, source: String = "agent/test/x") async throws {
            let envelope = SignalEnvelope(signal, source: source)
            let producer = try KafkaProducer(configuration: .init(bootstrapServers: broker.bootstrapServers))
            try await producer.send(
                KafkaProducerMessage(
                    topic: topic, key: envelope.messageKey.map { Array($0.utf8) }, value: try envelope.encoded(),
                    headers: envelope.headers().map { KafkaHeader(key: $0.name, value: $0.value) }
                ))
            await producer.close()
        }

        /// A provider agent of this fixture, running in this process.
        func startAgent(_ provider: TestProvider? = nil) throws -> RunningAgent {
            let provider = provider ?? TestProvider(configuration: .init(name: self.provider))
            let agent = try ProviderAgent(configuration: agentConfiguration, provider: provider, logger: quietLogger)
            return RunningAgent(agent: agent, provider: provider, task: Task { try await agent.run() })
        }
    }

    struct RunningAgent {
        let agent: ProviderAgent
        let provider: TestProvider
        let task: Task<Void, any Error>

        func stop() async throws {
            agent.shutdown()
            try await task.value
        }
    }

    static func request(_ id: String, model: String? = "test-model") -> ProviderRequest {
        ProviderRequest(requestID: id, messages: [.user("hello \(id)")], model: model)
    }

    static func response(_ id: String, _ text: String) -> Signal {
        .providerResponse(
            ProviderResponse(
                requestID: id, response: text, provider: "elsewhere", model: "test-model", latencyMs: 1, instance: "x"))
    }

    @Test("200 concurrent calls straight to an agent's topic: each answered once, with its own answer")
    func concurrentCalls() async throws {
        let fixture = try await Fixture()
        let agent = try fixture.startAgent()
        let client = try fixture.client()
        try await client.start()
        #expect(client.replyTopic == fixture.prefix + "llm.replies.\(client.configuration.clientID)")

        let ids = (0..<200).map { "cc-\($0)" }
        let results = try await withThrowingTaskGroup(of: ProviderCallResult.self) { group in
            for id in ids {
                group.addTask {
                    try await client.call(Self.request(id), to: fixture.requestTopic, timeout: .seconds(90))
                }
            }
            var results: [ProviderCallResult] = []
            for try await result in group { results.append(result) }
            return results
        }
        #expect(results.count == 200)
        #expect(Set(results.map(\.requestID)) == Set(ids))
        for result in results {
            #expect(result.succeeded, "\(result.requestID): \(String(describing: result.error))")
            #expect(result.response?.requestID == result.requestID)
            #expect(
                result.text == "echo(test-model): hello \(result.requestID)",
                "its own answer: \(result.text ?? "")")
            #expect(result.provider == fixture.provider)
            #expect(result.instance == "i1")
            #expect(result.route == nil, "sent straight to the provider: no route")
            #expect(result.envelope.source == "agent/\(fixture.provider)/i1")
            #expect(result.chunks.isEmpty)
        }
        let stats = client.stats
        #expect(stats.sent == 200)
        #expect(stats.answered == 200)
        #expect(stats.duplicates == 0)
        #expect(stats.pending == 0)
        #expect(stats.foreign == 0)
        #expect(stats.timedOut == 0)
        #expect(agent.provider.totalCalls == 200)
        await client.shutdown()
        try await agent.stop()
    }

    @Test("a stream call hands each chunk over once, in order, before the response, which carries them all")
    func streamCall() async throws {
        let fixture = try await Fixture()
        let provider = TestProvider(
            configuration: .init(name: fixture.provider, latency: .fixed(.milliseconds(200)), streamChunks: 5))
        let agent = try fixture.startAgent(provider)
        let client = try fixture.client()
        let seen = Mutex<[StreamChunk]>([])
        let result = try await client.call(
            Self.request("stream-1"), as: .stream, to: fixture.requestTopic, timeout: .seconds(60)
        ) { chunk in
            seen.withLock { $0.append(chunk) }
        }
        let chunks = seen.withLock { $0 }
        #expect(result.succeeded)
        #expect(
            chunks.map(\.index) == [0, 1, 2, 3, 4, 5],
            "every chunk, the closing one last, in order, before the call returned")
        #expect(chunks.map(\.done) == [false, false, false, false, false, true])
        #expect(Set(chunks.map(\.run)).count == 1 && chunks[0].run != nil, "one run, named on every chunk")
        #expect(result.chunks == chunks)
        #expect(chunks.map(\.delta).joined() == result.text)
        #expect(chunks.allSatisfy { $0.requestID == "stream-1" && $0.provider == fixture.provider })
        await client.shutdown()
        try await agent.stop()
    }

    @Test("a second final answer for a request is counted, never delivered; the first one wins")
    func duplicateAnswers() async throws {
        let fixture = try await Fixture()
        let agent = try fixture.startAgent()
        let client = try fixture.client()
        try await client.send(Self.request("dup-1"), to: fixture.requestTopic)
        try await waitUntil("the agent's answer arrived", timeout: .seconds(60)) { client.stats.answered == 1 }
        // A redelivered answer (a router or agent that crashed after publishing, say).
        try await fixture.publish(Self.response("dup-1", "from a redelivery"), to: client.replyTopic)
        try await waitUntil("the duplicate arrived", timeout: .seconds(30)) { client.duplicates == 1 }
        let result = try await client.response(for: "dup-1", timeout: .seconds(5))
        #expect(
            result.text == "echo(test-model): hello dup-1",
            "the agent's answer, not the redelivery: \(result.text ?? "")")
        #expect(result.instance == "i1")
        #expect(client.duplicates(for: "dup-1") == 1)
        // After the answer was taken: counted still, and not handed out again.
        try await fixture.publish(
            .providerError(
                ProviderError(requestID: "dup-1", errorType: .timeout, error: "late failure", retryable: true)),
            to: client.replyTopic)
        try await waitUntil("the second duplicate arrived", timeout: .seconds(30)) { client.duplicates == 2 }
        #expect(client.duplicates(for: "dup-1") == 2)
        #expect(client.stats.answered == 1)
        #expect(client.stats.foreign == 0)
        await #expect(throws: ProviderClientError.self) {
            _ = try await client.response(for: "dup-1", timeout: .seconds(1))
        }
        await client.shutdown()
        try await agent.stop()
    }

    @Test(
        """
        errors an agent hands back to the routers (carrying the request) are ignored on a shared error topic; the \
        final one completes the call
        """
    )
    func nonFinalErrorsIgnored() async throws {
        let fixture = try await Fixture()
        let provider = TestProvider(configuration: .init(name: fixture.provider))
        // Routed requests: a retryable 5xx and a context_length_exceeded both go back to the routers.
        provider.script([
            ProviderCallError(type: .contextLengthExceeded, message: "too long for test-model", retryable: false),
            .serverError("upstream 503"),
        ])
        let agent = try fixture.startAgent(provider)
        // Reading llm.errors, where agents hand retryable errors of routed requests to the routers.
        let errorTopic = fixture.agentConfiguration.errorTopic
        let client = try fixture.client(replyTopic: errorTopic)
        let deadline = RFC3339.string(from: Date().addingTimeInterval(60))
        for id in ["routed-1", "routed-2"] {
            var request = Self.request(id)
            request.attempt = 1
            request.route = RouteContext(
                router: "router/test", replyTo: errorTopic, requestedModel: "test-model", maxAttempts: 3,
                deadline: deadline)
            try await client.send(request, to: fixture.requestTopic)
        }
        try await waitUntil("both handed-back errors were read", timeout: .seconds(60)) { client.stats.nonFinal == 2 }
        #expect(client.stats.pending == 2, "still waiting: those were not answers")
        #expect(client.stats.answered == 0)
        // What a router decides in the end: a final error echoing the route.
        var final = ProviderError(
            requestID: "routed-1", errorType: .contextLengthExceeded,
            error: "no candidate with a larger context is left",
            retryable: false, provider: fixture.provider, attempt: 1)
        final.route = RouteContext(
            router: "router/test", replyTo: errorTopic,
            tried: [
                RouteAttempt(
                    attempt: 1, provider: fixture.provider, model: "test-model", errorType: .contextLengthExceeded,
                    error: "too long")
            ], maxAttempts: 3, deadline: deadline)
        try await fixture.publish(.providerError(final), to: errorTopic, source: "router/test")
        let result = try await client.response(for: "routed-1", timeout: .seconds(30))
        #expect(result.error?.isFinal == true)
        #expect(result.error?.error == "no candidate with a larger context is left")
        #expect(result.route?.tried.count == 1)
        #expect(result.envelope.source == "router/test")
        client.discard("routed-2")
        await client.shutdown()
        try await agent.stop()
    }

    @Test(
        """
        a call that gets no answer times out with an error naming the request and the topics; its late answer is \
        counted, not delivered
        """
    )
    func timeout() async throws {
        let fixture = try await Fixture()
        let silent = try await fixture.silentTopic()
        let client = try fixture.client()
        // Started first: the measured wait is the call's, not the reply topic's set-up (which
        // took over 9 s once with every suite of CI starting at once).
        try await client.start()
        let started = ContinuousClock.now
        do {
            _ = try await client.call(Self.request("slow-1"), to: silent, timeout: .seconds(1))
            Issue.record("answered without an agent")
        } catch {
            #expect(error.code == .timedOut)
            #expect(error.requestID == "slow-1")
            #expect(
                error.message
                    == """
                    no final answer to request 'slow-1' within 1 s (sent to '\(silent)', awaited on reply topic \
                    '\(client.replyTopic)')
                    """
            )
        }
        let waited = ContinuousClock.now - started
        #expect(waited >= .seconds(1) && waited < .seconds(20), "gives up after its timeout, not much later: \(waited)")
        #expect(client.stats.timedOut == 1)
        #expect(client.stats.pending == 0)
        try await fixture.publish(Self.response("slow-1", "too late"), to: client.replyTopic)
        try await waitUntil("the late answer arrived", timeout: .seconds(30)) { client.stats.late == 1 }
        #expect(client.stats.foreign == 0)
        #expect(client.stats.answered == 0)
        await client.shutdown()
    }

    @Test("two clients sharing one reply topic each get their own answers and count the other's as foreign")
    func sharedReplyTopic() async throws {
        let fixture = try await Fixture()
        let shared = fixture.prefix + "shared.replies"
        try await fixture.broker.createTopic(shared, partitions: 3)
        let agent = try fixture.startAgent()
        let a = try fixture.client(replyTopic: shared)
        let b = try fixture.client(replyTopic: shared)
        try await a.start()
        try await b.start()
        #expect(a.replyTopic == shared && b.replyTopic == shared)

        func calls(_ client: ProviderClient, _ ids: [String]) async throws -> [ProviderCallResult] {
            try await withThrowingTaskGroup(of: ProviderCallResult.self) { group in
                for id in ids {
                    group.addTask {
                        try await client.call(Self.request(id), to: fixture.requestTopic, timeout: .seconds(90))
                    }
                }
                var results: [ProviderCallResult] = []
                for try await result in group { results.append(result) }
                return results
            }
        }
        let idsA = (0..<40).map { "a-\($0)" }
        let idsB = (0..<40).map { "b-\($0)" }
        async let resultsA = calls(a, idsA)
        async let resultsB = calls(b, idsB)
        let (ra, rb) = try await (resultsA, resultsB)
        #expect(Set(ra.map(\.requestID)) == Set(idsA))
        #expect(Set(rb.map(\.requestID)) == Set(idsB))
        // Exact: "hello a-1" is also in the answer to a-10.
        for result in ra + rb {
            #expect(
                result.text == "echo(test-model): hello \(result.requestID)",
                "its own answer: \(result.text ?? "")")
        }
        try await waitUntil("each client read the other's 40 answers", timeout: .seconds(30)) {
            a.stats.foreign == 40 && b.stats.foreign == 40
        }
        // An answer nobody asked for.
        try await fixture.publish(Self.response("nobody-1", "?"), to: shared)
        try await waitUntil("both saw the stray answer", timeout: .seconds(30)) {
            a.stats.foreign == 41 && b.stats.foreign == 41
        }
        for client in [a, b] {
            #expect(client.stats.answered == 40)
            #expect(client.stats.duplicates == 0)
            #expect(client.stats.pending == 0)
        }
        await a.shutdown()
        await b.shutdown()
        try await agent.stop()
    }

    @Test("shutdown fails waiting calls naming them; nothing is sent afterwards")
    func shutdownFailsPendingCalls() async throws {
        let fixture = try await Fixture()
        let silent = try await fixture.silentTopic()
        let client = try fixture.client()
        let waiting = Task { try await client.call(Self.request("pending-1"), to: silent, timeout: .seconds(120)) }
        try await waitUntil("the request was sent", timeout: .seconds(30)) { client.stats.sent == 1 }
        await client.shutdown()
        let error = try #require(await waiting.result.failure as? ProviderClientError, "answered without an agent")
        #expect(error.code == .shutDown)
        #expect(error.requestID == "pending-1")
        #expect(error.message == "no answer to request 'pending-1': the client was shut down")
        await #expect(throws: ProviderClientError.self) { try await client.send(Self.request("after-1"), to: silent) }
        await #expect(throws: ProviderClientError.self) { try await client.start() }
    }

    @Test("as a Service: started by the group, answers calls, and a graceful shutdown fails what still waits")
    func asService() async throws {
        let fixture = try await Fixture()
        let agent = try fixture.startAgent()
        let silent = try await fixture.silentTopic()
        let client = try fixture.client()
        let group = ServiceGroup(services: [client], logger: quietLogger)
        let running = Task { try await group.run() }
        let result = try await client.call(Self.request("svc-1"), to: fixture.requestTopic, timeout: .seconds(60))
        #expect(result.succeeded)
        let waiting = Task { try await client.call(Self.request("svc-2"), to: silent, timeout: .seconds(120)) }
        try await waitUntil("the second request was sent", timeout: .seconds(30)) { client.stats.sent == 2 }
        await group.triggerGracefulShutdown()
        try await running.value
        let error = try #require(await waiting.result.failure as? ProviderClientError, "answered without an agent")
        #expect(error.code == .shutDown)
        try await agent.stop()
    }

    @Test(
        """
        the per-client reply topic is created with few partitions and a short retention; an explicit missing one \
        is an error; so is a missing destination
        """
    )
    func topics() async throws {
        let fixture = try await Fixture()
        let client = try fixture.client()
        try await client.start()
        let admin = try KafkaAdmin(configuration: KafkaConfiguration(bootstrapServers: fixture.broker.bootstrapServers))
        #expect(try await admin.metadata().partitionCount(of: client.replyTopic) == 3)
        let configs = try await admin.topicConfigs(client.replyTopic)
        #expect(configs["retention.ms"] == "3600000")
        do {
            try await client.send(Self.request("nowhere-1"), to: fixture.prefix + "no.such.topic")
            Issue.record("sent to a missing topic")
        } catch {
            #expect(error.code == .sendFailed)
            #expect(error.message.contains("'\(fixture.prefix)no.such.topic' does not exist"))
        }
        #expect(client.stats.pending == 0)
        await client.shutdown()

        let missing = fixture.prefix + "missing.replies"
        let explicit = try fixture.client(replyTopic: missing)
        do {
            try await explicit.start()
            Issue.record("started on a missing reply topic")
        } catch {
            #expect(error.code == .connectionFailed)
            #expect(error.message.contains("reply topic '\(missing)' does not exist"))
        }
        #expect(try await admin.metadata().topics[missing] == nil, "an explicit reply topic is never created")
        await explicit.shutdown()
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

let quietLogger: Logger = {
    var logger = Logger(label: "provider-client-test")
    logger.logLevel = .warning
    return logger
}()
