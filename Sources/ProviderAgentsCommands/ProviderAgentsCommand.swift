public import ArgumentParser

/// `provider-agents`: the command-line entry point.
@available(macOS 15, *)
public struct ProviderAgentsCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "provider-agents",
        abstract: "Autonomous LLM provider agents over Kafka.",
        subcommands: [
            DemoCommand.self,
            BrokerCommand.self,
            TopicsCommand.self,
            ProduceCommand.self,
            ConsumeCommand.self,
        ]
    )

    public init() {}
}
