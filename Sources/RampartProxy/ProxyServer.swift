import Firewall
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import ProxyCore
import RateLimit
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
    /// The logger.
    public let logger: Logger

    /// A server for `config` with the given rules and limits, on `threads` event loops.
    public init(config: ProxyConfig, firewall: RuleSet, rateLimiter: RateLimiter, threads: Int, logger: Logger) {
        self.current = NIOLockedValueBox(ProxyState(config: config, firewall: firewall, rateLimiter: rateLimiter))
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
        var loops: [ObjectIdentifier: NIOLoopBound<LoopContext>] = [:]
        for loop in self.group.makeIterator() {
            loops[ObjectIdentifier(loop)] = try? loop.submit { NIOLoopBound(LoopContext(eventLoop: loop, config: config), eventLoop: loop) }.wait()
        }
        self.loops = loops
        self.logger = logger
    }

    /// Loads the rules and policies named by `config` and builds a server.
    ///
    /// - Throws: the loader's error (file:line:column) when a rule or policy file is invalid.
    public convenience init(config: ProxyConfig, threads: Int, logger: Logger) throws {
        let firewall = try RuleSetLoader.load(path: config.firewallDirectory)
        let policies = try PolicyFile.load(path: config.rateLimitFile)
        self.init(config: config, firewall: firewall, rateLimiter: RateLimiter(policies: policies), threads: threads, logger: logger)
    }

    var state: ProxyState { self.current.withLockedValue { $0 } }

    /// Starts listening; returns the bound address (useful with port 0).
    public func start() async throws -> SocketAddress {
        let config = self.state.config
        let channel = try await ServerBootstrap(group: self.group)
            .serverChannelOption(ChannelOptions.backlog, value: 1024)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(ChannelOptions.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard self.admit(channel) else { throw ChannelError.inputClosed }
                    guard let loop = self.loops[ObjectIdentifier(channel.eventLoop)]?.value else { throw ChannelError.ioOnClosedChannel }
                    let handlers = channel.pipeline.syncOperations
                    try handlers.addHandler(HTTPResponseEncoder(), name: PipelineNames.responseEncoder)
                    var limits = NIOHTTPDecoderLimitConfiguration()
                    limits.maxHeaderListSize = config.maxHeaderBytes
                    limits.maxHeaderFieldSize = config.maxHeaderBytes
                    let decoder = HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes, informationalResponseStrategy: .drop, limitConfiguration: limits)
                    try handlers.addHandler(ByteToMessageHandler(decoder), name: PipelineNames.requestDecoder)
                    try handlers.addHandler(DownstreamHandler(server: self, loop: loop), name: PipelineNames.downstream)
                }
            }
            .bind(host: config.listen.host, port: config.listen.port)
            .get()
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

    /// Idle pooled upstream connections, over all event loops.
    public func idleUpstreamConnections() async throws -> Int {
        var total = 0
        for bound in self.loops.values {
            total += try await bound.eventLoop.submit { bound.value.idleCount }.get()
        }
        return total
    }

    /// Stops listening, closes connections and the event loops.
    public func shutdown() async throws {
        let channel = self.channel.withLockedValue { $0 }
        try? await channel?.close()
        try await self.group.shutdownGracefully()
    }

    /// Serves until graceful shutdown (SIGTERM/SIGINT through a `ServiceGroup`), then stops.
    public func run() async throws {
        _ = try await self.start()
        let listener = self.channel.withLockedValue { $0 }
        try await withGracefulShutdownHandler {
            try await listener?.closeFuture.get()
        } onGracefulShutdown: {
            listener?.close(promise: nil)
        }
        try await self.group.shutdownGracefully()
    }
}

/// Handler names, so a protocol switch can take the HTTP handlers out of both pipelines.
enum PipelineNames {
    static let responseEncoder = "http-response-encoder"
    static let requestDecoder = "http-request-decoder"
    static let downstream = "downstream"
    static let requestEncoder = "http-request-encoder"
    static let responseDecoder = "http-response-decoder"
    static let upstream = "upstream"
}
