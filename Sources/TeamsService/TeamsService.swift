import ArgumentParser
import ServiceKit
import ServiceKitCLI

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

    @OptionGroup var options: ServiceOptions

    func run() async throws {
        // A ConfigError or ServeError ends the process with "Error: <what and where>" and exit status 1.
        let config = try self.options.bootstrap(environmentPrefix: "TEAMS")
        try await makeTeamsApp(config: config).run(host: self.options.host, port: self.options.port(default: 5001))
    }
}
