import ArgumentParser

/// The `rampart` executable: the reverse-proxy sidecar and its tools.
@main
struct RampartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rampart",
        abstract: "A reverse-proxy sidecar with a PCRE2 firewall and token-bucket rate limits.",
        subcommands: [ServeCommand.self, CheckCommand.self, HealthCommand.self, VersionCommand.self]
    )
}
