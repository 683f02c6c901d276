// The `provider-agents` executable: only its entry point; the command tree is ProviderAgentsCommands.

import ProviderAgentsCommands

/// Entry point (the root command lives in a library, so it cannot be `@main` itself).
@main
struct ProviderAgentsMain {
    static func main() async {
        do {
            try await ProviderAgentsCommand.run(arguments: nil)
        } catch {
            ProviderAgentsCommand.exit(withError: error)
        }
    }
}
