import ArgumentParser
import Foundation
import Logging
import Metrics
import Prometheus
import ProxyCore
import RampartProxy
import ServiceLifecycle

/// `rampart serve`: runs the proxy, its admin listener and the rules watcher until SIGINT or SIGTERM.
///
/// SIGHUP reloads the rules and policies (`systemctl reload`); SIGUSR1 reopens the access log after rotation.
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
        // swift-metrics from any library in the process (the admin listener's own request metrics among
        // them) lands in this registry, which /metrics appends to the proxy's figures.
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let logger = Logger(label: "rampart")
        let server: ProxyServer
        let admin: AdminServer
        do {
            let config = try ProxyConfigFile.load(path: self.config, environment: ProcessInfo.processInfo.environment)
            let accessLog = try config.accessLog.map { (log) throws(AccessLogError) in try AccessLogger(log) }
            server = try ProxyServer(config: config, threads: self.threads, logger: logger, accessLog: accessLog)
            admin = try AdminServer(proxy: server, processMetrics: registry)
        } catch {
            FileHandle.standardError.write(Data("rampart: \(error)\n".utf8))
            throw ExitCode.failure
        }
        var services: [any Service] = [server, admin]
        let config = server.configuration
        if config.watchRules {
            services.append(RulesWatcher(root: config.rulesDirectory, pollInterval: config.rulesPollInterval, logger: logger) {
                server.reloadBlocking(trigger: .watch)
            })
        }
        let signals = SignalActions()
        signals.on(SIGHUP) { Task { await server.reload(trigger: .signal) } }
        signals.on(SIGUSR1) {
            do {
                try server.accessLog?.sink.reopen()
                logger.info("access log reopened")
            } catch {
                logger.error("access log not reopened; still writing to the old file", metadata: ["error": "\(error)"])
            }
        }
        let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
        signals.cancel()
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
