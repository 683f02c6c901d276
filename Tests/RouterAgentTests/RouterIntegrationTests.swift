import Agent
import AgentCore
import Foundation
import Kafka
import KafkaTestSupport
import Router
import RouterAgent
import Signals
import Testing

/// The router over Kafka (Tansu): in-process agents and routers, requests as a client sends them.
@Suite("Router on Tansu", .timeLimit(.minutes(3)))
struct RouterIntegrationTests {
    /// Waits until the router sees a routable instance of every provider in `providers`.
    static func waitForRegistry(_ router: LLMRouter, _ providers: Set<String>) async throws {
        try await waitUntil("the router sees \(providers.sorted())", timeout: .seconds(60)) {
            Set(router.providers.filter { $0.routableInstances > 0 }.map(\.provider)).isSuperset(of: providers)
        }
    }

    @Test(
        """
        routes by model, falls back on a retryable error, gives up after max attempts, streams; bad input gets \
        exactly one final error at the reply topic
        """
    )
    func routingFallbackAndBadInput() async throws {
        var fixture = try await RouterFixture()
        fixture.routerConfiguration.routing = RoutingConfiguration(
            strategy: .priority, modelProviders: ["shared": ["alpha", "beta"]])
        fixture.routerConfiguration.reroute = RerouteSettings(maxAttempts: 3, backoffBase: .milliseconds(20))
        // alpha answers every call with a 429 (retry after 100 ms); beta answers.
        let alpha = try fixture.startAgent(
            "alpha", models: ["shared", "only-alpha"],
            failures: .init(rateLimited: 1, rateLimitRetryAfter: .milliseconds(100)))
        let beta = try fixture.startAgent("beta", models: ["shared", "only-beta"])
        let router = try await fixture.startRouter()
        let replies = try await TopicWatcher(
            bootstrapServers: fixture.broker.bootstrapServers, topics: [fixture.replyTopic])
        let dlq = try await TopicWatcher(
            bootstrapServers: fixture.broker.bootstrapServers, topics: [fixture.routerConfiguration.deadLetterTopic])
        do {
            try await Self.waitForRegistry(router.service, ["alpha", "beta"])
            let producer = try KafkaProducer(configuration: .init(bootstrapServers: fixture.broker.bootstrapServers))
            let fallbacks = (0..<10).map { "fallback-\($0)" }
            for id in fallbacks {
                try await producer.send(fixture.clientRequest(id, data: fixture.data(id, #""model":"shared""#)))
            }
            let image =
                #"""
                "messages":[{"role":"user","content":[{"type":"text","text":"what is \#
                this"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]}]
                """#
            let past = RFC3339.string(from: Date().addingTimeInterval(-60))
            let requests: [(String, String, String)] = [
                ("exhaust", "provider_request", fixture.data("exhaust", #""model":"only-alpha""#)),
                ("stream", "stream_request", fixture.data("stream", #""model":"only-beta""#)),
                ("unknown-provider", "provider_request", fixture.data("unknown-provider", #""provider":"gamma""#)),
                ("unknown-model", "provider_request", fixture.data("unknown-model", #""model":"nope""#)),
                (
                    "impossible", "provider_request",
                    #"{"request_id":"impossible",\#(image),"model":"shared","reply_to":"\#(fixture.replyTopic)"}"#
                ),
                ("expired", "provider_request", fixture.data("expired", #""model":"shared","expires_at":"\#(past)""#)),
                (
                    "carries-route", "provider_request",
                    fixture.data("carries-route", #""route":{"max_attempts":9,"deadline":"\#(past)"}"#)
                ),
                ("bad-type", "get_resource_status", #"{"request_id":"bad-type","reply_to":"\#(fixture.replyTopic)"}"#),
            ]
            for (id, type, data) in requests {
                try await producer.send(fixture.clientRequest(id, type: type, data: data))
            }
            // Malformed: unreadable JSON with the request id in the header → invalid_request at
            // the header's reply topic; without any id → the dead-letter topic.
            try await producer.send(
                KafkaProducerMessage(
                    topic: fixture.routerConfiguration.routerRequestTopic, key: Array("bad-json".utf8),
                    value: Array("{not json".utf8),
                    headers: [
                        KafkaHeader(key: SignalHeader.requestID, value: "bad-json"),
                        KafkaHeader(key: SignalHeader.replyTo, value: fixture.replyTopic),
                    ]
                ))
            try await producer.send(
                KafkaProducerMessage(
                    topic: fixture.routerConfiguration.routerRequestTopic, key: nil, value: Array("\u{1}garbage".utf8)))
            await producer.close()

            let ids = Set(fallbacks + requests.map(\.0) + ["bad-json"])
            do {
                try await replies.wait(until: "a final answer for every request", timeout: .seconds(90)) { messages in
                    ids.isSubset(of: ReplyBook(messages).finals.keys)
                }
            } catch {
                Issue.record("no final answer for \(ids.subtracting(ReplyBook(replies.messages).finals.keys).sorted())")
                throw error
            }
            try await dlq.wait(until: "the id-less message dead-lettered", timeout: .seconds(30)) { !$0.isEmpty }
            // Let anything late (a duplicate) arrive before counting.
            try await Task.sleep(for: .seconds(2))
            let book = ReplyBook(replies.messages)
            #expect(
                book.finals.values.allSatisfy { $0.count == 1 },
                "exactly one final answer per request: \(book.finals.filter { $0.value.count != 1 }.keys.sorted())")
            #expect(book.handedBack == 0, "errors handed back to the routers never reach the client")

            for id in fallbacks {
                let response = try #require(book.response(id), "\(id) answered")
                #expect(response.provider == "beta")
                #expect(response.attempt == 2)
                #expect(response.route?.tried.map(\.provider) == ["alpha"])
                #expect(response.route?.tried.first?.errorType == .rateLimited)
            }
            let exhausted = try #require(book.error("exhaust"))
            #expect(exhausted.errorType == .rateLimited)
            #expect(exhausted.error.contains("gave up after 3 attempts"), "\(exhausted.error)")
            #expect(exhausted.route?.tried.map(\.attempt) == [1, 2, 3])
            #expect(exhausted.route?.tried.allSatisfy { $0.provider == "alpha" } == true)

            let streamed = try #require(book.response("stream"))
            #expect(streamed.provider == "beta")
            let chunks = book.chunks["stream"] ?? []
            #expect(
                !chunks.isEmpty && chunks.map(\.index) == Array(0..<chunks.count), "chunks in order before the response"
            )
            #expect(chunks.map(\.delta).joined() == streamed.response)

            let unknownProvider = try #require(book.error("unknown-provider"))
            #expect(
                unknownProvider.errorType == .invalidRequest
                    && unknownProvider.error.contains("unknown provider 'gamma'"), "\(unknownProvider.error)")
            #expect(!unknownProvider.retryable)
            let unknownModel = try #require(book.error("unknown-model"))
            #expect(
                unknownModel.errorType == .modelUnavailable && unknownModel.error.contains("'nope'"),
                "\(unknownModel.error)")
            let impossible = try #require(book.error("impossible"))
            #expect(impossible.errorType == .unsupported && impossible.error.contains("vision"), "\(impossible.error)")
            let expired = try #require(book.error("expired"))
            #expect(expired.errorType == .deadlineExceeded && !expired.retryable)
            let carriesRoute = try #require(book.error("carries-route"))
            #expect(carriesRoute.errorType == .invalidRequest && carriesRoute.field == "data.route")
            let badType = try #require(book.error("bad-type"))
            #expect(badType.errorType == .invalidRequest && badType.error.contains("get_resource_status"))
            let badJSON = try #require(book.error("bad-json"))
            #expect(badJSON.errorType == .invalidRequest)
            #expect(dlq.messages.first?.header("dlq-reason") != nil)

            let counters = router.service.counters
            #expect(
                counters.routed == fallbacks.count + 2, "the fallbacks, exhaust and stream were routed: \(counters)")
            #expect(counters.rerouted == fallbacks.count + 2, "each fallback once, exhaust twice: \(counters)")
        } catch {
            await Self.stop(router, alpha, beta, replies, dlq)
            throw error
        }
        await Self.stop(router, alpha, beta, replies, dlq)
    }

    @Test(
        """
        any router continues any request from its route context; context_length_exceeded goes to the configured \
        larger model; final errors on llm.errors are left alone
        """
    )
    func statelessContinuation() async throws {
        var fixture = try await RouterFixture()
        fixture.routerConfiguration.instanceID = "r2"
        fixture.routerConfiguration.reroute = RerouteSettings(
            backoffBase: .milliseconds(10), contextFallbacks: ["small": "big-model"])
        let beta = try fixture.startAgent("beta", models: ["shared", "big-model"])
        let router = try await fixture.startRouter()
        let replies = try await TopicWatcher(
            bootstrapServers: fixture.broker.bootstrapServers, topics: [fixture.replyTopic])
        do {
            try await Self.waitForRegistry(router.service, ["beta"])
            let deadline = RFC3339.string(from: Date().addingTimeInterval(60))
            // Errors as an agent hands them back, for requests another (gone) router routed.
            func handedBack(
                _ id: String, model: String, type: ProviderErrorType, remaining: [RouteTarget],
                deadline: String = deadline
            ) -> KafkaProducerMessage {
                let route = RouteContext(
                    router: "router/ghost", replyTo: fixture.replyTopic, requestedModel: model, remaining: remaining,
                    maxAttempts: 3, deadline: deadline)
                let request = ProviderRequest(
                    requestID: id, messages: [ChatMessage(role: .user, content: .text("hi"))], model: model,
                    replyTo: fixture.replyTopic, provider: "alpha", attempt: 1, route: route)
                let error = ProviderError(
                    requestID: id, errorType: type, error: "from alpha", retryable: true, retryAfterMs: 5,
                    provider: "alpha", model: model, attempt: 1, instance: "alpha-1", request: request)
                return LLMRouter.message(
                    .providerError(error), to: fixture.routerConfiguration.errorTopic, key: id, source: "test")
            }
            let producer = try KafkaProducer(configuration: .init(bootstrapServers: fixture.broker.bootstrapServers))
            try await producer.send(
                handedBack("continued", model: "shared", type: .rateLimited, remaining: [RouteTarget(provider: "beta")])
            )
            try await producer.send(
                handedBack(
                    "larger", model: "small", type: .contextLengthExceeded, remaining: [RouteTarget(provider: "beta")]))
            try await producer.send(
                handedBack(
                    "late", model: "shared", type: .timeout, remaining: [RouteTarget(provider: "beta")],
                    deadline: RFC3339.string(from: Date().addingTimeInterval(-1))))
            // A final error on llm.errors is an answer, not work for the routers.
            let final = ProviderError(
                requestID: "final", errorType: .invalidRequest, error: "bad", retryable: false, provider: "alpha")
            try await producer.send(
                LLMRouter.message(
                    .providerError(final), to: fixture.routerConfiguration.errorTopic, key: "final", source: "test"))
            await producer.close()

            try await replies.wait(until: "three answers", timeout: .seconds(60)) { messages in
                Set(["continued", "larger", "late"]).isSubset(of: ReplyBook(messages).finals.keys)
            }
            try await Task.sleep(for: .seconds(1))
            let book = ReplyBook(replies.messages)
            let continued = try #require(book.response("continued"))
            #expect(continued.provider == "beta" && continued.attempt == 2)
            #expect(continued.route?.router == "router/r2", "continued by the router that read the error")
            #expect(continued.route?.tried.map(\.provider) == ["alpha"])
            let larger = try #require(book.response("larger"))
            #expect(larger.provider == "beta" && larger.model == "big-model")
            let late = try #require(book.error("late"))
            #expect(late.errorType == .deadlineExceeded)
            #expect(book.finals["final"] == nil)
            #expect(book.finals.values.allSatisfy { $0.count == 1 })
        } catch {
            await Self.stop(router, beta, replies)
            throw error
        }
        await Self.stop(router, beta, replies)
    }

    static func stop(
        _ router: Running<LLMRouter>, _ a: Running<ProviderAgent>, _ b: Running<ProviderAgent>, _ w1: TopicWatcher,
        _ w2: TopicWatcher
    ) async {
        await router.finish()
        await a.finish()
        await b.finish()
        await w1.close()
        await w2.close()
    }

    static func stop(_ router: Running<LLMRouter>, _ a: Running<ProviderAgent>, _ w: TopicWatcher) async {
        await router.finish()
        await a.finish()
        await w.close()
    }
}
