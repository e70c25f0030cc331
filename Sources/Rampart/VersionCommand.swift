import ArgumentParser

/// `rampart version`.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version.")

    /// The release; bumped with each tagged release.
    static let version = "0.1.0"

    func run() {
        print("rampart \(Self.version)")
    }
}
