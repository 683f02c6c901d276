import ArgumentParser
import Kafka
import Logging
import Topics

/// `provider-agents topics ...`: the topic catalog of `topics/`.
struct TopicsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topics",
        abstract: "Create or show the topics defined in topics/.",
        subcommands: [Apply.self, Show.self]
    )

    struct CatalogOptions: ParsableArguments {
        @Option(help: "Directory with the topic definitions.")
        var topicsDir: String = "topics"

        @Option(help: "Prefix for every topic name.")
        var prefix: String = ""

        @Option(help: "Replication factor for every topic (default: each definition's own, else 1).")
        var replicationFactor: Int?

        func topics() throws -> [KafkaTopicSpec] {
            try TopicCatalog.load(directory: topicsDir).topics(prefix: prefix, replicationFactor: replicationFactor)
        }
    }

    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create every topic of topics/ on the cluster; existing topics are left as they are."
        )

        @OptionGroup var catalog: CatalogOptions
        @OptionGroup var kafka: KafkaOptions
        @OptionGroup var logging: LoggingOptions

        func run() async throws {
            let logger = logging.bootstrap(label: "provider-agents.topics")
            let topics = try catalog.topics()
            let admin = try KafkaAdmin(configuration: kafka.configuration(), logger: logger)
            let outcome = try await create(topics, with: admin)
            for topic in topics {
                let state = outcome[topic.name] == .alreadyExisted ? "exists" : "created"
                say(
                    """
                    \(state.padding(toLength: 8, withPad: " ", startingAt: 0)) \(topic.name) \
                    partitions=\(topic.partitions)
                    """
                )
            }
        }

        private func create(_ topics: [KafkaTopicSpec], with admin: KafkaAdmin) async throws -> [String:
            KafkaTopicCreation]
        {
            do {
                return try await admin.createTopics(topics, timeout: kafka.connectDuration)
            } catch {
                guard error.code == KafkaError.Code.unsupported else { throw error }
                throw ValidationError(
                    "\(error)\nThe cluster at \(kafka.bootstrap) does not create topics through the admin API; "
                        + "an embedded broker creates them itself (`provider-agents broker`)."
                )
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the topics topics/ defines (no broker needed).")

        @OptionGroup var catalog: CatalogOptions

        func run() async throws {
            for topic in try catalog.topics() {
                let configs = topic.configs.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(
                    separator: ",")
                say("\(topic.name) partitions=\(topic.partitions) replication=\(topic.replicationFactor) \(configs)")
            }
        }
    }
}
