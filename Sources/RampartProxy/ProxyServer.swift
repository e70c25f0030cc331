import Dispatch
import Firewall
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import ProxyCore
import RateLimit
import ServiceKit
import ServiceLifecycle
import Synchronization

/// The data plane: a listener on the traffic address whose connections are served by ``DownstreamHandler`` on
/// one event loop per thread, each loop with its own upstream connections.
public final class ProxyServer: Service, Sendable {
    private let current: NIOLockedValueBox<ProxyState>
    private let group: MultiThreadedEventLoopGroup
    private let loops: [ObjectIdentifier: NIOLoopBound<LoopContext>]
    private let channel: NIOLockedValueBox<Channel?> = NIOLockedValueBox(nil)
    private let connections = Atomic<Int>(0)
    private let lastReload: NIOLockedValueBox<ReloadStatus?> = NIOLockedValueBox(nil)
    /// Reloads run one at a time, off the event loops and the Swift concurrency pool.
    private let reloadQueue = DispatchQueue(label: "rampart.reload")
    /// When the server was created, for the uptime.
    private let started = NIODeadline.now()
    /// The logger.
    public let logger: Logger
    /// The access log, if one is configured.
    public let accessLog: AccessLogger?

    /// A server for `config` with the given rules and limits, on `threads` event loops.
    public init(config: ProxyConfig, firewall: RuleSet, rateLimiter: RateLimiter, threads: Int, logger: Logger, accessLog: AccessLogger? = nil) {
        self.current = NIOLockedValueBox(ProxyState(config: config, firewall: firewall, rateLimiter: rateLimiter))
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
        var loops: [ObjectIdentifier: NIOLoopBound<LoopContext>] = [:]
        for loop in self.group.makeIterator() {
            loops[ObjectIdentifier(loop)] = try? loop.submit { NIOLoopBound(LoopContext(eventLoop: loop, config: config), eventLoop: loop) }.wait()
        }
        self.loops = loops
        self.logger = logger
        self.accessLog = accessLog
    }

    /// Loads the rules and policies named by `config` and builds a server.
    ///
    /// - Throws: the loader's error (file:line:column) when a rule or policy file is invalid.
    public convenience init(config: ProxyConfig, threads: Int, logger: Logger, accessLog: AccessLogger? = nil) throws {
        let firewall = try RuleSetLoader.load(path: config.firewallDirectory)
        let policies = try PolicyFile.load(path: config.rateLimitFile)
        self.init(config: config, firewall: firewall, rateLimiter: RateLimiter(policies: policies), threads: threads, logger: logger, accessLog: accessLog)
    }

    var state: ProxyState { self.current.withLockedValue { $0 } }

    /// The config the server runs with.
    public var configuration: ProxyConfig { self.state.config }

    /// Rampart's version, reported by `rampart version` and /stats.
    public static let version = "0.1.0"

    /// Starts listening; returns the bound address (useful with port 0).
    public func start() async throws -> SocketAddress {
        let config = self.state.config
        let bootstrap = ServerBootstrap(group: self.group)
            .serverChannelOption(ChannelOptions.backlog, value: 1024)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(ChannelOptions.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard self.admit(channel) else { throw ChannelError.inputClosed }
                    guard let loop = self.loops[ObjectIdentifier(channel.eventLoop)]?.value else { throw ChannelError.ioOnClosedChannel }
                    let handlers = channel.pipeline.syncOperations
                    try handlers.addHandler(DownstreamHandler(server: self, loop: loop), name: PipelineNames.downstream)
                }
            }
        let channel: Channel
        do {
            channel = try await bootstrap.bind(host: config.listen.host, port: config.listen.port).get()
        } catch {
            throw ServeError.bindFailure(error, host: config.listen.host, port: config.listen.port, remedy: "change listen (or RAMPART_LISTEN)")
        }
        self.channel.withLockedValue { $0 = channel }
        guard let address = channel.localAddress else { throw ChannelError.unknownLocalAddress }
        self.logger.info("rampart listening", metadata: ["address": "\(config.listen.host):\(address.port ?? 0)"])
        return address
    }

    /// Counts a new connection; refuses it (false) beyond the configured maximum.
    private func admit(_ channel: Channel) -> Bool {
        let open = self.connections.add(1, ordering: .relaxed).newValue
        channel.closeFuture.whenComplete { _ in self.connections.subtract(1, ordering: .relaxed) }
        return open <= self.state.config.maxConnections
    }

    // MARK: Reload

    /// Loads the rules directory again and, when every file is valid, swaps the new rules and policies in.
    ///
    /// Requests in flight finish with the rules they started with. On failure the old rules keep serving and
    /// the status carries the loader's error (file:line:column). Rate-limit buckets of unchanged policies
    /// survive. Reloads are serialized; this waits on a Dispatch queue, not on the caller's thread.
    @discardableResult
    public func reload(trigger: ReloadStatus.Trigger) async -> ReloadStatus {
        await withCheckedContinuation { continuation in
            self.reloadQueue.async { continuation.resume(returning: self.reloadNow(trigger: trigger)) }
        }
    }

    /// ``reload(trigger:)`` for a caller on its own thread (the rules watcher).
    @discardableResult
    public func reloadBlocking(trigger: ReloadStatus.Trigger) -> ReloadStatus {
        self.reloadQueue.sync { self.reloadNow(trigger: trigger) }
    }

    private func reloadNow(trigger: ReloadStatus.Trigger) -> ReloadStatus {
        let old = self.state
        let status: ReloadStatus
        do {
            let firewall = try RuleSetLoader.load(path: old.config.firewallDirectory)
            let policies = try PolicyFile.load(path: old.config.rateLimitFile)
            let state = ProxyState(config: old.config, firewall: firewall, rateLimiter: old.rateLimiter.reloaded(policies: policies))
            self.current.withLockedValue { $0 = state }
            status = ReloadStatus(time: Date(), trigger: trigger, error: nil, version: firewall.version)
            self.logger.info("rules reloaded", metadata: [
                "trigger": "\(trigger.rawValue)", "version": "\(firewall.version)", "rules": "\(firewall.rules.count)", "policies": "\(policies.count)",
            ])
        } catch {
            status = ReloadStatus(time: Date(), trigger: trigger, error: "\(error)", version: old.firewall.version)
            self.logger.error("rules not reloaded; the previous rules keep serving", metadata: ["trigger": "\(trigger.rawValue)", "error": "\(error)"])
        }
        self.lastReload.withLockedValue { $0 = status }
        return status
    }

    // MARK: Status

    /// Every loop's counters merged, upstream health, the rules in use and the last reload.
    public func status() async -> ProxyStatus {
        var traffic = TrafficStats()
        for bound in self.loops.values {
            guard let stats = try? await bound.eventLoop.submit({ bound.value.stats }).get() else { continue }
            traffic.merge(stats)
        }
        let state = self.state
        return ProxyStatus(
            uptime: Double((NIODeadline.now() - self.started).nanoseconds) / 1e9,
            openConnections: self.connections.load(ordering: .relaxed),
            traffic: traffic,
            upstreams: await self.upstreams(),
            ruleSet: state.firewall,
            policies: state.rateLimiter.policies.map(\.name),
            lastReload: self.lastReload.withLockedValue { $0 },
            accessLog: self.accessLog.map { ($0.sink.path, $0.sink.droppedLines) }
        )
    }

    /// The version of the firewall rules in use (a hash of their files); it changes when a reload swaps them.
    public var rulesVersion: String { self.state.firewall.version }

    /// Whether the traffic listener is accepting connections.
    public var isListening: Bool { self.channel.withLockedValue { $0?.isActive ?? false } }

    /// The upstreams with each server's health, without the rest of ``status()`` (readiness probes ask often).
    public func upstreams() async -> [ProxyStatus.Upstream] {
        var health: [[Bool]]?
        for bound in self.loops.values {
            guard let loopHealth = try? await bound.eventLoop.submit({ bound.value.serverHealth() }).get() else { continue }
            // A server is healthy when no loop is backing off from it.
            health = health.map { zip($0, loopHealth).map { zip($0, $1).map { $0 && $1 } } } ?? loopHealth
        }
        return self.state.config.upstreams.enumerated().map { index, upstream in
            ProxyStatus.Upstream(
                name: upstream.name,
                servers: upstream.servers.enumerated().map { server, address in
                    ProxyStatus.Server(address: address.description, healthy: health?[index][server] ?? true)
                }
            )
        }
    }

    /// Idle pooled upstream connections, over all event loops.
    public func idleUpstreamConnections() async throws -> Int {
        var total = 0
        for bound in self.loops.values {
            total += try await bound.eventLoop.submit { bound.value.idleCount }.get()
        }
        return total
    }

    /// Stops listening, closes connections and the event loops, and flushes the access log.
    public func shutdown() async throws {
        let channel = self.channel.withLockedValue { $0 }
        try? await channel?.close()
        try await self.group.shutdownGracefully()
        self.accessLog?.sink.flush()
    }

    /// Serves until graceful shutdown (SIGTERM/SIGINT through a `ServiceGroup`) or cancellation, then stops.
    public func run() async throws {
        _ = try await self.start()
        let listener = self.channel.withLockedValue { $0 }
        // Cancellation too: when another service of the group fails (the admin port is taken, say), the group
        // cancels the rest, and the listener must close for the process to exit.
        try await withTaskCancellationOrGracefulShutdownHandler {
            try await listener?.closeFuture.get()
        } onCancelOrGracefulShutdown: {
            listener?.close(promise: nil)
        }
        try await self.group.shutdownGracefully()
        self.accessLog?.sink.flush()
    }
}

/// Handler names, so a protocol switch can take the HTTP handlers out of both pipelines.
enum PipelineNames {
    static let downstream = "downstream"
    static let upstream = "upstream"
}
