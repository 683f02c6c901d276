import Agent
import ArgumentParser
import Common
import FakeUpstream
import Foundation
import Gateway
import Kafka
import Logging
import ProviderClient
import Providers
import Router
import RouterAgent
import ServiceLifecycle
import Topics

/// `provider-agents run`: the whole system in one process on the embedded broker — a fake LLM
/// upstream, one agent per provider (OpenAI, Anthropic, a local Ollama) calling it over HTTP, a
/// router, and a client that sends sample requests (one streamed, one that falls back) and shows
/// the answers and a live status until Ctrl-C.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract:
            """
            Run everything in one process on the embedded broker: fake upstream, an agent per provider, a router, \
            sample requests and a live status (Ctrl-C stops it cleanly).
            """,
        discussion: """
            Starts librdkafka's in-process broker with the topics of topics/, a fake OpenAI / Anthropic / \
            Ollama server on loopback, the agents openai, anthropic and local calling it over HTTP with \
            their real adapters, a router, and the HTTP gateway (OpenAI and Anthropic APIs, on \
            --gateway-listen, default 127.0.0.1:8080, no key on loopback). A client then sends sample \
            requests through the router — one per provider, a stream, a fallback (the fake upstream \
            answers OpenAI's first call with a 429, so the router continues at Anthropic) and a bad one, \
            then one through the gateway — prints each answer with its route, \
            and keeps a light background load while a status table refreshes. Ctrl-C (or --duration) \
            drains and stops every part.
            """
    )

    @Option(help: "Directory with the topic definitions.")
    var topicsDir: String = "topics"

    @Option(help: "Seconds to run after the samples (0: until Ctrl-C / SIGTERM).")
    var duration: Int = 0

    @Option(help: "Background requests per second through the router while the status shows (0: none).")
    var load: Double = 2

    @Option(help: "Seconds between status tables.")
    var statusEvery: Int = 5

    @Option(help: "Address of the HTTP gateway (OpenAI and Anthropic APIs), host:port.")
    var gatewayListen: String = "127.0.0.1:8080"

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        do {
            let (host, _) = try GatewayCommand.address(gatewayListen)
            guard GatewayConfiguration.isLoopback(host) else {
                throw ValidationError("--gateway-listen: the run's gateway has no keys, so it serves loopback only")
            }
        } catch let error as InvalidSetting {
            throw ValidationError("--gateway-listen: \(error.message)")
        }
        guard duration >= 0 else { throw ValidationError("--duration: must be >= 0, got \(duration)") }
        guard load >= 0, load <= 1_000, load.isFinite else {
            throw ValidationError("--load: must be between 0 and 1000, got \(load)")
        }
        guard statusEvery >= 1 else {
            throw ValidationError("--status-every: must be at least 1 second, got \(statusEvery)")
        }
    }

    func run() async throws {
        let logger = logging.bootstrap(label: "provider-agents.run")
        let clock = ContinuousClock()
        let started = clock.now
        say("provider-agents: the whole system in one process (Ctrl-C stops it)")

        // 1. The embedded broker and every topic.
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: logger)
        let topics = try TopicCatalog.load(directory: topicsDir).topics(replicationFactor: 1)
        for topic in topics { try cluster.createTopic(topic) }
        say(
            """
              broker    embedded (librdkafka mock cluster) on \(cluster.bootstrapServers), \(topics.count) topics \
            from \(topicsDir)/
            """
        )

        // 2. The fake upstream; OpenAI's first gpt-4o-mini call is a 429, for the fallback sample.
        let fake = try await FakeUpstream(
            configuration: FakeUpstreamConfiguration(
                latency: FakeLatency(.uniform(min: .milliseconds(40), max: .milliseconds(250)), seed: 7),
                faults: FaultScript(rules: [
                    FaultRule(
                        fault: .tooManyRequests, provider: .openai, model: RunSetup.fallbackModel, budget: .count(1))
                ]),
                streamChunks: 5, retryAfterSeconds: 2
            ),
            logger: logger
        ).start()
        say("  upstream  fake OpenAI / Anthropic / Ollama server at \(fake.baseURL) (40-250 ms per call)")

        do {
            try await runSystem(cluster: cluster, fake: fake, logger: logger, started: started)
        } catch {
            await fake.stop()
            throw error
        }
        await fake.stop()
        say("stopped cleanly")
    }

    private func runSystem(
        cluster: EmbeddedKafkaCluster, fake: FakeUpstream.Running, logger: Logger, started: ContinuousClock.Instant
    ) async throws {
        // 3. Agents and router from a configuration file like a deployment's (docs/agent-core.md,
        //    docs/router.md), pointed at the embedded broker and the fake upstream.
        let file = try AgentConfigurationFile.parse(
            RunSetup.configuration(baseURL: fake.baseURL), file: "(built-in run configuration)", environment: [:])
        // The fake upstream wants a key like the real APIs; these are not secrets.
        let environment = ["OPENAI_API_KEY": "sk-fake-run", "ANTHROPIC_API_KEY": "sk-ant-fake-run"]
        let http = HTTPClientService(settings: HTTPClientSettings())
        var agents: [ProviderAgent] = []
        for provider in RunSetup.providers {
            let settings = try AgentSettings.resolve(
                provider: provider, file: file,
                overrides: .init(bootstrap: cluster.bootstrapServers, instanceID: "run-\(provider)"),
                environment: environment
            )
            agents.append(
                try ProviderAgent(
                    configuration: settings.agent, provider: settings.makeProvider(client: http.client), logger: logger)
            )
        }
        say(
            "  agents    "
                + RunSetup.providers.map { p in "\(p) (\(file.agents[p]?.models?.joined(separator: ", ") ?? ""))" }
                .joined(separator: " · "))
        let routerSettings = try RouterSettings.resolve(
            file: file, overrides: .init(bootstrap: cluster.bootstrapServers, instanceID: "run-router"),
            environment: [:])
        let router = try LLMRouter(configuration: routerSettings.router, logger: logger)
        say(
            """
              router    strategy \(routerSettings.router.routing.strategy.rawValue); model 'chat' = \
            \(RunSetup.chatChain.joined(separator: " → "))
            """
        )
        // The embedded broker cannot create topics on request: the client's reply topic is made here.
        let clientID = "run-client"
        let replyTopic = TopicNames().clientReplies(clientID)
        try cluster.createTopic(KafkaTopicSpec(name: replyTopic, partitions: 3, replicationFactor: 1))
        let client = try ProviderClient(
            configuration: ProviderClientConfiguration(
                common: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers), clientID: clientID,
                replyTopic: replyTopic, defaultTimeout: .seconds(60)
            ), logger: logger)

        // The HTTP gateway, with its reply topic made here too.
        let (host, port) = try GatewayCommand.address(gatewayListen)
        let gatewayConfiguration = GatewayConfiguration(
            kafka: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers), instanceID: "gateway-run",
            listenHost: host, listenPort: port, requestTimeout: .seconds(60))
        try cluster.createTopic(
            KafkaTopicSpec(
                name: gatewayConfiguration.topics.clientReplies(gatewayConfiguration.instanceID), partitions: 3,
                replicationFactor: 1))
        let gateway = try Gateway(configuration: gatewayConfiguration, logger: logger)
        let base = "http://\(gatewayListen)"
        say(
            """
              gateway   \(base)/v1 — OpenAI's chat completions and Anthropic's messages, e.g.
                          curl \(base)/v1/chat/completions -d '{"model": "gpt-4o", "messages": \
            [{"role": "user", "content": "Hi"}]}'
                          python: OpenAI(base_url="\(base)/v1", api_key="none").chat.completions.create(...)
            """
        )

        let driver = RunDriver(
            router: router, agents: agents, client: client, fake: fake, gateway: gateway, gatewayURL: base,
            http: http.client, started: started,
            duration: duration == 0 ? nil : .seconds(duration), load: load, statusEvery: .seconds(statusEvery))
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: http, serviceName: "http-client")
        ]
        for (provider, agent) in zip(RunSetup.providers, agents) {
            services.append(.init(service: agent, serviceName: "agent-\(provider)"))
        }
        services.append(.init(service: router, serviceName: "router"))
        services.append(.init(service: gateway, serviceName: "gateway"))
        services.append(.init(service: client, serviceName: "client"))
        // The driver ending (after --duration) shuts the whole group down gracefully.
        services.append(.init(service: driver, successTerminationBehavior: .gracefullyShutdownGroup))
        var configuration = ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration = .seconds(20)
        // Every part's Kafka clients close on cancellation; on the embedded broker a dozen of them
        // take longer than 5 s together.
        configuration.maximumCancellationDuration = .seconds(15)
        try await ServiceGroup(configuration: configuration).run()
    }
}
