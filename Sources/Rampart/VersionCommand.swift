import ArgumentParser
import RampartProxy

/// `rampart version`.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version.")

    /// The release; bumped with each tagged release.
    static let version = ProxyServer.version

    func run() {
        print("rampart \(Self.version)")
    }
}
