import ArgumentParser
import Logging
import ServiceKit

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The seed's teams and employees service, built from two blueprints.
func makeTeamsApp(directory: Directory = .seeded(), config: ServiceConfig = ServiceConfig()) -> ServiceApp {
    let app = ServiceApp("teams-service", config: config)
    app.register(makeTeamsBlueprint(directory: directory))
    app.register(makeEmployeesBlueprint(directory: directory))
    app.get("/healthz", name: "health") { _, _ in ["status": "ok"] }
    return app
}

@main
struct TeamsService: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "teams-service",
        abstract: "Example ServiceKit service: teams and employees (the seed's blueprints)."
    )

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 5001
    @Option(help: "A JSON, YAML or TOML config file.") var config: String?
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.") var logLevel = "info"

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardOutput(label: label)
            handler.logLevel = Logger.Level(rawValue: self.logLevel) ?? .info
            return handler
        }
        // A ConfigError or ServeError ends the process with "Error: <what and where>" and exit status 1.
        var settings = ServiceConfig()
        if let config { try settings.load(file: config) }
        try settings.loadEnvironment(prefix: "TEAMS")
        try await makeTeamsApp(config: settings).run(host: self.host, port: self.port)
    }
}
