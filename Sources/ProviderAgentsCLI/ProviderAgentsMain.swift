import ArgumentParser
import ProviderAgentsCommands

/// Entry point: parses the command line, then runs asynchronous subcommands asynchronously
/// (the root command lives in a library, so it cannot be `@main` itself).
@main
struct ProviderAgentsMain {
    static func main() async {
        do {
            var command = try ProviderAgentsCommand.parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await runAsync(&asyncCommand)
            } else {
                try command.run()
            }
        } catch {
            ProviderAgentsCommand.exit(withError: error)
        }
    }

    private static func runAsync<Command: AsyncParsableCommand>(_ command: inout Command) async throws {
        try await command.run()
    }
}
