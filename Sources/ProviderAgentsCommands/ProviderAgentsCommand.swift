public import ArgumentParser

/// `provider-agents`: the command-line entry point.
@available(macOS 15, *)
public struct ProviderAgentsCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "provider-agents",
        abstract: "Autonomous LLM provider agents over Kafka.",
        subcommands: [
            RunCommand.self,
            DemoCommand.self,
            BrokerCommand.self,
            TopicsCommand.self,
            ProduceCommand.self,
            ConsumeCommand.self,
            AgentCommand.self,
            RouterCommand.self,
            GatewayCommand.self,
            BatchCommand.self,
            SendCommand.self,
        ]
    )

    public init() {}
}

@available(macOS 15, *)
extension ProviderAgentsCommand {
    /// Parses `arguments` (without the program name; `nil`: the process's) and runs the chosen
    /// subcommand, asynchronously when it is asynchronous. Errors are the caller's to report.
    public static func run(arguments: [String]?) async throws {
        var command = try parseAsRoot(arguments)
        if var asyncCommand = command as? any AsyncParsableCommand {
            try await runAsync(&asyncCommand)
        } else {
            try command.run()
        }
    }

    private static func runAsync<Command: AsyncParsableCommand>(_ command: inout Command) async throws {
        try await command.run()
    }
}
