import ArgumentParser
import Foundation
import Logging
import ProxyCore
import RampartProxy
import ServiceLifecycle

/// `rampart serve`: runs the proxy until SIGINT or SIGTERM.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the proxy.")

    @Option(name: .long, help: "The config file (YAML, see docs/config.md).")
    var config: String = "rampart.yaml"

    @Option(name: .long, help: "Event loops (threads); default: one per core.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: .long, help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    func run() async throws {
        let level = self.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "rampart")
        let server: ProxyServer
        do {
            let config = try ProxyConfigFile.load(path: self.config, environment: ProcessInfo.processInfo.environment)
            server = try ProxyServer(config: config, threads: self.threads, logger: logger)
        } catch {
            FileHandle.standardError.write(Data("rampart: \(error)\n".utf8))
            throw ExitCode.failure
        }
        let group = ServiceGroup(services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
