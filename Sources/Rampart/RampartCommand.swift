import ArgumentParser

/// The `rampart` executable: the reverse-proxy sidecar and its tools.
@main
struct RampartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rampart",
        abstract: "A reverse-proxy sidecar with a PCRE2 firewall and token-bucket rate limits.",
        subcommands: [CheckCommand.self, VersionCommand.self]
    )
}
