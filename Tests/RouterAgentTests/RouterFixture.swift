import Agent
import AgentCore
import Foundation
import Kafka
import KafkaTestSupport
import Logging
import Router
import RouterAgent
import Signals

/// Two test providers (`alpha`, `beta`) with one in-process agent each, a router, and a client
/// reply topic, under a unique topic prefix on the shared Tansu broker.
struct RouterFixture {
    let broker: TansuBroker
    let prefix: String
    let replyTopic: String
    var routerConfiguration: LLMRouterConfiguration

    static let providers = ["alpha", "beta"]

    init() async throws {
        broker = try await TansuBroker.shared()
        prefix = uniqueName("router") + "."
        replyTopic = prefix + "client.replies"
        routerConfiguration = LLMRouterConfiguration(
            instanceID: "r1", bootstrapServers: broker.bootstrapServers, topicPrefix: prefix,
            sessionTimeout: .seconds(6)
        )
        for provider in Self.providers {
            let agent = agentConfiguration(provider)
            try await broker.createTopic(agent.requestTopic, partitions: 3)
            try await broker.createTopic(agent.ledgerTopic, partitions: 3)
            try await broker.createTopic(agent.controlTopic, partitions: 1)
        }
        for topic in [
            routerConfiguration.routerRequestTopic, routerConfiguration.errorTopic, routerConfiguration.statusTopic,
            routerConfiguration.deadLetterTopic, routerConfiguration.journalTopic, prefix + "llm.responses", replyTopic,
        ] {
            try await broker.createTopic(topic, partitions: 3)
        }
        try await broker.createTopic(routerConfiguration.delayTopic, partitions: 9)
    }

    func agentConfiguration(_ provider: String, models: [String] = ["shared"]) -> ProviderAgentConfiguration {
        var configuration = ProviderAgentConfiguration(
            provider: provider, instanceID: "\(provider)-1", bootstrapServers: broker.bootstrapServers,
            topicPrefix: prefix,
            models: Set(models), defaultModel: models.first, sessionTimeout: .seconds(6), statusInterval: .seconds(5),
            drainTimeout: .seconds(5)
        )
        configuration.breaker = CircuitBreakerPolicy(consecutiveFailures: 1_000)
        return configuration
    }

    static var quietLogger: Logger {
        var logger = Logger(label: "router-test")
        logger.logLevel = .warning
        return logger
    }

    /// Starts an agent for `provider` serving `models` with the test provider's `failures`.
    func startAgent(_ provider: String, models: [String], failures: TestProvider.Failures = .init()) throws -> Running<
        ProviderAgent
    > {
        let test = TestProvider(
            configuration: .init(
                name: provider,
                models: models.map {
                    ModelInfo(id: $0, contextWindow: 128_000, features: [.chat, .streaming, .tools])
                },
                latency: .fixed(.milliseconds(5)), failures: failures
            ))
        let agent = try ProviderAgent(
            configuration: agentConfiguration(provider, models: models), provider: test, logger: Self.quietLogger)
        return Running(agent, task: Task { try await agent.run() }, stop: { agent.shutdown() })
    }

    func startRouter(_ configuration: LLMRouterConfiguration? = nil) async throws -> Running<LLMRouter> {
        let router = try LLMRouter(configuration: configuration ?? routerConfiguration, logger: Self.quietLogger)
        let running = Running(router, task: Task { try await router.run() }, stop: { router.shutdown() })
        await router.waitUntilStarted()
        return running
    }

    /// A request signal for the router, as a client would send it.
    func clientRequest(_ id: String, type: String = "provider_request", data: String, replyTo: String? = nil)
        -> KafkaProducerMessage
    {
        let value = #"{"type":"\#(type)","data":\#(data)}"#
        var headers = [KafkaHeader(key: SignalHeader.requestID, value: id)]
        if let replyTo { headers.append(KafkaHeader(key: SignalHeader.replyTo, value: replyTo)) }
        return KafkaProducerMessage(
            topic: routerConfiguration.routerRequestTopic, key: id, value: value, headers: headers)
    }

    /// `{"request_id":…,"messages":[…],"reply_to":<reply topic>}` plus `extra` members.
    func data(_ id: String, _ extra: String = "") -> String {
        #"""
        {"request_id":"\#(id)","messages":[{"role":"user","content":"hello \#
        \#(id)"}],"reply_to":"\#(replyTopic)"\#(extra.isEmpty ? "" : "," + extra)}
        """#
    }
}

/// A service running in a task, stopped (and awaited) by ``finish()``.
struct Running<Service: Sendable>: Sendable {
    let service: Service
    let task: Task<Void, any Error>
    let stop: @Sendable () -> Void

    init(_ service: Service, task: Task<Void, any Error>, stop: @escaping @Sendable () -> Void) {
        self.service = service
        self.task = task
        self.stop = stop
    }

    func finish() async {
        stop()
        _ = try? await task.value
    }
}

/// The final answers (responses and final errors) per request id on a reply topic, and the chunks.
struct ReplyBook {
    var finals: [String: [Signal]] = [:]
    var chunks: [String: [StreamChunk]] = [:]
    var handedBack = 0

    init(_ messages: [KafkaConsumerMessage]) {
        for message in messages {
            guard let envelope = try? SignalEnvelope.decode(message.value) else { continue }
            switch envelope.signal {
            case .providerResponse(let response): finals[response.requestID, default: []].append(envelope.signal)
            case .providerError(let error) where error.isFinal:
                finals[error.requestID, default: []].append(envelope.signal)
            case .providerError: handedBack += 1
            case .streamChunk(let chunk): chunks[chunk.requestID, default: []].append(chunk)
            default: break
            }
        }
    }

    func response(_ id: String) -> ProviderResponse? {
        guard case .providerResponse(let response)? = finals[id]?.first else { return nil }
        return response
    }

    func error(_ id: String) -> ProviderError? {
        guard case .providerError(let error)? = finals[id]?.first else { return nil }
        return error
    }
}
