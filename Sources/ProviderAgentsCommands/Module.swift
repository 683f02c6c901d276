// The `provider-agents` command tree: the `ProviderAgentsCommands` module.
//
// It owns the subcommands (argument-parser), the
// configuration file and its overlay (`--set`), settings resolution (option → environment → file →
// default, checked once by the configurations' rules) and the all-in-one `run`. A library so tests
// parse command lines with it.
