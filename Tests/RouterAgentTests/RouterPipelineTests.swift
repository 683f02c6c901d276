import Foundation
import Kafka
import Logging
import Router
import RouterAgent
import Signals
import Testing
import WorkerRuntime

/// The router's rules without a broker: the real ``RouterHandler`` in an `InProcessWorker`.
@Suite("Router pipeline in process")
struct RouterPipelineTests {
    static let prefix = ""
    static let requests = "llm.router.requests"
    static let errors = "llm.errors"

    static func configuration(_ strategy: RoutingStrategy = .leastLoaded) -> LLMRouterConfiguration {
        var routing = RoutingConfiguration()
        routing.strategy = strategy
        return LLMRouterConfiguration(instanceID: "r1", bootstrapServers: "unused:9092", routing: routing)
    }

    static func worker(_ configuration: LLMRouterConfiguration = configuration()) -> InProcessWorker<RouterHandler> {
        let handler = RouterHandler(configuration: configuration, logger: Logger(label: "test"))
        for (provider, inFlight) in [("alpha", 0), ("beta", 0)] {
            handler.observe(status(provider, inFlight: inFlight))
        }
        return InProcessWorker(
            handler: handler, name: configuration.source,
            journal: JournalConfiguration(topic: configuration.journalTopic))
    }

    static func status(_ provider: String, inFlight: Int) -> ProviderStatus {
        ProviderStatus(
            provider: provider, status: "healthy", circuitBreaker: .init(state: "closed", failureCount: 0),
            rateLimiter: .init(limit: 100, windowMs: 60_000, currentCount: 0),
            metrics: ProviderStatus.Metrics(totalRequests: 1, successRate: 1, inFlight: inFlight),
            instance: "\(provider)-1",
            models: ["shared"]
        )
    }

    static func request(_ id: String) -> [UInt8] {
        Array(
            #"""
            {"type":"provider_request","data":{"request_id":"\#(id)","model":"shared","reply_to":"client.replies",\#
            "messages":[{"role":"user","content":"hi"}]}}
            """#
            .utf8)
    }

    static func forwards(_ worker: InProcessWorker<RouterHandler>) -> [(provider: String, request: ProviderRequest)] {
        worker.published.compactMap { message in
            guard message.topic.hasPrefix("llm.requests."),
                case .providerRequest(let request)? = try? SignalEnvelope.decode(message.value).signal
            else {
                return nil
            }
            return (String(message.topic.dropFirst("llm.requests.".count)), request)
        }
    }

    @Test(
        """
        a request redelivered after a crash goes where the first decision sent it, byte for byte, even when the \
        loads changed
        """
    )
    func redeliveryRepeatsTheDecision() async throws {
        let worker = Self.worker()
        try await worker.run { worker in
            worker.deliver(topic: Self.requests, value: Self.request("q1"))
            await worker.settle()
            let first = try #require(Self.forwards(worker).first)
            // The provider chosen first is now the busier one: deciding again would pick the other.
            worker.handler.observe(Self.status(first.provider, inFlight: 500))
            worker.restart()
            worker.deliver(topic: Self.requests, value: Self.request("q1"))
            await worker.settle()
        }
        let forwards = Self.forwards(worker)
        #expect(forwards.count == 2)
        #expect(Set(forwards.map(\.provider)).count == 1, "the successor forwarded to the same provider")
        let messages = worker.published.filter { $0.topic.hasPrefix("llm.requests.") }
        #expect(messages[0].value == messages[1].value, "the same forward, byte for byte (the agent recognises it)")
        #expect(worker.handler.counters.replayed == 1)
        #expect(worker.journalRecords().map(\.state) == [.done], "one decision recorded")
    }

    @Test(
        """
        a retryable error waits out its backoff outside the reader: a long retry_after is held until due, then \
        forwarded as attempt 2
        """
    )
    func retryWaits() async throws {
        let worker = Self.worker()
        try await worker.run { worker in
            worker.deliver(topic: Self.requests, value: Self.request("q1"))
            await worker.settle()
            let first = try #require(Self.forwards(worker).first)
            var error = ProviderError(
                requestID: "q1", errorType: .rateLimited, error: "429", retryable: true, retryAfterMs: 20_000,
                provider: first.provider, model: "shared", attempt: 1, instance: "\(first.provider)-1"
            )
            error.request = first.request
            let handedBack = RouterHandler.message(
                .providerError(error), to: Self.errors, key: "q1", source: "agent/test")
            worker.deliver(topic: Self.errors, value: handedBack.value)
            await worker.settle()
            #expect(Self.forwards(worker).count == 1, "nothing forwarded before the backoff ends")
            let held = worker.held
            #expect(held.count == 1)
            worker.advance(by: .seconds(25))
            await worker.settle()
        }
        let forwards = Self.forwards(worker)
        #expect(forwards.count == 2)
        #expect(forwards.last?.request.attempt == 2)
        #expect(forwards.last?.request.route?.tried.count == 1, "the route carries the failed attempt")
    }

    @Test("a forward its provider's topic refuses for good ends as one final error at the client's reply topic")
    func refusedForward() async throws {
        let worker = Self.worker()
        await worker.run { worker in
            worker.refuse(topic: "llm.requests.alpha", with: KafkaError(code: .unknownTopic, message: "unknown topic"))
            worker.refuse(topic: "llm.requests.beta", with: KafkaError(code: .unknownTopic, message: "unknown topic"))
            worker.deliver(topic: Self.requests, value: Self.request("q1"))
            await worker.settle()
        }
        let replies = worker.published(to: "client.replies").compactMap { try? SignalEnvelope.decode($0.value).signal }
        guard case .providerError(let error)? = replies.first, replies.count == 1 else {
            Issue.record("one final error expected: \(replies)")
            return
        }
        #expect(error.errorType == .modelUnavailable && error.error.contains("refused"))
        #expect(worker.end(of: TopicPartition(topic: Self.requests, partition: 0), offset: 0) == .finished)
    }

    @Test(
        """
        a forward that keeps failing until the publish timeout ends as a final error for the client, not a \
        partition held forever
        """
    )
    func stalledForward() async throws {
        let worker = Self.worker()
        await worker.run { worker in
            worker.stall(topic: "llm.requests.alpha")
            worker.stall(topic: "llm.requests.beta")
            worker.deliver(topic: Self.requests, value: Self.request("q1"))
            await worker.settle()
        }
        let replies = worker.published(to: "client.replies").compactMap { try? SignalEnvelope.decode($0.value).signal }
        guard case .providerError(let error)? = replies.first, replies.count == 1 else {
            Issue.record("one final error expected: \(replies)")
            return
        }
        #expect(error.retryable, "the provider's topic may take it later: the client may try again")
        #expect(error.error.contains("publish timeout"))
        #expect(
            worker.end(of: TopicPartition(topic: Self.requests, partition: 0), offset: 0) == .finished,
            "the offset moves on")
    }

    @Test("weighted routing is seeded by the request: the same request gets the same order, whatever router decides it")
    func weightedIsSeeded() async throws {
        var orders: [[String]] = []
        for _ in 0..<2 {
            let worker = Self.worker(Self.configuration(.weighted))
            await worker.run { worker in
                for n in 0..<20 { worker.deliver(topic: Self.requests, value: Self.request("w\(n)")) }
                await worker.settle()
            }
            orders.append(Self.forwards(worker).map(\.provider))
        }
        #expect(orders[0] == orders[1])
        #expect(Set(orders[0]).count == 2, "both providers drawn")
    }
}
