public import ArgumentParser
import Logging
public import ServiceKit

/// The command-line options every ServiceKit service takes: `--host`, `--port`, `--config`, `--log-level`.
///
/// ```swift
/// @main struct TeamsService: AsyncParsableCommand {
///     @OptionGroup var options: ServiceOptions
///     func run() async throws {
///         let config = try options.bootstrap(environmentPrefix: "TEAMS")
///         try await makeApp(config: config).run(host: options.host, port: options.port(default: 5001))
///     }
/// }
/// ```
public struct ServiceOptions: ParsableArguments {
    /// Address to listen on.
    @Option(help: "Address to listen on.") public var host = "127.0.0.1"
    /// Port to listen on; each service has its own default.
    @Option(help: "Port to listen on (default: the service's own).") public var port: Int?
    /// A config file to load over the defaults.
    @Option(help: "A JSON, YAML or TOML config file.") public var config: String?
    /// The lowest level logged.
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.") public var logLevel: Logger.Level = .info

    public init() {}

    /// The port to listen on.
    public func port(default fallback: Int) -> Int { self.port ?? fallback }

    /// Sets up logging (key=value lines on standard output) and builds the configuration: Quart's defaults,
    /// then `--config`, then environment variables named `PREFIX_KEY`.
    ///
    /// - Throws: ``ConfigError`` naming the file or variable, the key and the expected type.
    public func bootstrap(environmentPrefix: String) throws -> ServiceConfig {
        let level = self.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardOutput(label: label)
            handler.logLevel = level
            return handler
        }
        var settings = ServiceConfig()
        if let config { try settings.load(file: config) }
        try settings.loadEnvironment(prefix: environmentPrefix)
        return settings
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
