import ArgumentParser
import Kafka
import Logging
import ServiceLifecycle
import Topics

/// `provider-agents broker`: the embedded broker (librdkafka's mock cluster) on loopback.
struct BrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker",
        abstract:
            """
            Run the embedded Kafka broker on loopback, create the topics of topics/, print its bootstrap address, \
            run until SIGINT/SIGTERM.
            """
    )

    @Option(help: "Number of mock brokers.")
    var brokers: Int = 1

    @Option(help: "Directory with the topic definitions.")
    var topicsDir: String = "topics"

    @Option(help: "Prefix for every topic name.")
    var prefix: String = ""

    @Flag(help: "Do not create the topics of topics/.")
    var noTopics = false

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let logger = logging.bootstrap(label: "provider-agents.broker")
        let cluster = try EmbeddedKafkaCluster(brokers: brokers, logger: logger)
        if !noTopics {
            let catalog = try TopicCatalog.load(directory: topicsDir)
            let topics = try catalog.topics(prefix: prefix, replicationFactor: 1)
            for topic in topics { try cluster.createTopic(topic) }
            say("topics: \(topics.count) created from \(topicsDir)")
        }
        say("bootstrap: \(cluster.bootstrapServers)")
        let group = ServiceGroup(
            configuration: .init(
                services: [WaitForShutdown()], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        try await group.run()
        say("broker stopped")
        withExtendedLifetime(cluster) {}
    }
}

/// A service that only waits for graceful shutdown (keeps a process alive until a signal).
struct WaitForShutdown: Service {
    func run() async throws {
        try? await gracefulShutdown()
    }
}
