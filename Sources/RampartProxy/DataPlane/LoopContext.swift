import Firewall
import NIOCore
import ProxyCore
import RateLimit
import RateLimitRedis

/// One event loop's own upstream state: idle keep-alive connections per server and each upstream's server
/// selector. Only its loop touches it, so a request and its upstream connection never cross threads and no
/// lock is taken.
final class LoopContext {
    /// A server of an upstream.
    struct ServerKey: Hashable {
        let upstream: Int
        let server: Int
    }

    /// An idle connection and its last handler, kept together so leasing needs no pipeline lookup.
    struct PooledConnection {
        let channel: Channel
        let handler: UpstreamHandler
        /// When it went idle.
        var since = NIODeadline.now()
    }

    /// Idle connections by upstream, then server. The upstreams and their servers are fixed for the process's
    /// lifetime (a reload swaps rules, not upstreams), so nested arrays serve: a dictionary keyed by server
    /// allocated in its in-place mutation on every lease and every return (three allocations a request).
    private var idle: [[[PooledConnection]]]
    private var selectors: [ServerSelector]
    let eventLoop: EventLoop
    /// Request ids for this loop's requests.
    var requestIDs = RequestIDGenerator()
    /// What this loop has counted; the admin listener merges every loop's.
    var stats = TrafficStats()
    /// The last finished firewall evaluation, in whose arrays the next request's evaluation starts: a dozen
    /// allocations a request fewer. (Several requests in flight at once allocate afresh beyond the first.)
    var spareFirewall: FirewallEvaluation?
    /// Flushes toward clients and backends, held to the end of the loop's tick.
    let flusher: TickFlusher
    /// The shared bucket store over this loop's own Redis connection, when the config names one.
    let redis: RedisBucketStore?
    /// Connections with deadlines to watch, by identity.
    private var watched: [ObjectIdentifier: DownstreamHandler] = [:]
    private var sweeping = false

    /// Each upstream's idle timeout for pooled connections.
    private let idleTimeouts: [TimeAmount]

    init(eventLoop: EventLoop, config: ProxyConfig) {
        self.eventLoop = eventLoop
        self.flusher = TickFlusher(eventLoop: eventLoop)
        self.selectors = config.upstreams.map { ServerSelector(count: $0.servers.count, backoff: $0.failureBackoff) }
        self.idle = config.upstreams.map { Array(repeating: [], count: $0.servers.count) }
        self.idleTimeouts = config.upstreams.map { .milliseconds(Int64($0.idleTimeout * 1000)) }
        switch config.rateLimitStore {
        case .local:
            self.redis = nil
        case .redis(let address, let timeout):
            let wait = TimeAmount.milliseconds(Int64(timeout * 1000))
            self.redis = RedisBucketStore(connection: RedisConnection(host: address.host, port: address.port, eventLoop: eventLoop, connectTimeout: wait, commandTimeout: wait))
        }
    }

    /// Watches `handler`'s deadlines. One sweep every 250 ms checks every connection of the loop, instead of
    /// scheduling (and cancelling) timers per request, which costs system calls on the hot path.
    func watch(_ handler: DownstreamHandler) {
        self.watched[ObjectIdentifier(handler)] = handler
        self.startSweeping()
    }

    private func startSweeping() {
        guard !self.sweeping else { return }
        self.sweeping = true
        self.scheduleSweep()
    }

    /// Sweeps every 250 ms while any client connection is watched or any upstream connection is idle: client
    /// deadlines, and pooled connections idle longer than their upstream's idle timeout.
    private func scheduleSweep() {
        self.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(250)) {
            let now = NIODeadline.now()
            for handler in Array(self.watched.values) { handler.checkDeadlines(now: now) }
            self.closeIdle(now: now)
            if self.watched.isEmpty && self.idleCount == 0 {
                self.sweeping = false
            } else {
                self.scheduleSweep()
            }
        }
    }

    private func closeIdle(now: NIODeadline) {
        for upstream in self.idle.indices {
            let limit = self.idleTimeouts[upstream]
            for server in self.idle[upstream].indices where !self.idle[upstream][server].isEmpty {
                let connections = self.idle[upstream][server]
                let (expired, kept) = (connections.filter { $0.since + limit <= now }, connections.filter { $0.since + limit > now })
                guard !expired.isEmpty else { continue }
                self.idle[upstream][server] = kept
                for connection in expired {
                    connection.handler.idleKey = nil
                    connection.channel.close(promise: nil)
                }
            }
        }
    }

    /// Idle pooled connections on this loop.
    var idleCount: Int { self.idle.reduce(0) { total, servers in servers.reduce(total) { $0 + $1.count } } }

    /// Stops watching `handler`.
    func unwatch(_ handler: DownstreamHandler) {
        self.watched[ObjectIdentifier(handler)] = nil
    }

    /// The next healthy server of `upstream`, avoiding `excluding`.
    func pickServer(upstream: Int, excluding: Int? = nil) -> Int? {
        self.selectors[upstream].pick(now: MonotonicClock.seconds(), excluding: excluding)
    }

    func serverFailed(_ key: ServerKey) {
        self.selectors[key.upstream].failed(key.server, now: MonotonicClock.seconds())
        let connections = self.idle[key.upstream][key.server]
        self.idle[key.upstream][key.server] = []
        for connection in connections {
            connection.handler.idleKey = nil
            connection.channel.close(promise: nil)
        }
    }

    /// Whether this loop would send requests to each server of each upstream now (not backing off).
    func serverHealth() -> [[Bool]] {
        let now = MonotonicClock.seconds()
        return self.selectors.map { selector in (0..<selector.count).map { selector.isHealthy($0, now: now) } }
    }

    func serverSucceeded(_ key: ServerKey) {
        self.selectors[key.upstream].succeeded(key.server)
    }

    /// An idle connection to `key`, if one is still open.
    func takeIdle(_ key: ServerKey) -> PooledConnection? {
        while let connection = self.idle[key.upstream][key.server].popLast() {
            connection.handler.idleKey = nil
            if connection.channel.isActive { return connection }
        }
        return nil
    }

    /// Returns a connection to the pool (idle from now), or closes it when the pool for `key` is full. A pooled
    /// connection that closes removes itself (``UpstreamHandler/idleKey``).
    func putIdle(_ connection: PooledConnection, key: ServerKey, limit: Int) {
        guard self.idle[key.upstream][key.server].count < limit, connection.channel.isActive else {
            connection.channel.close(promise: nil)
            return
        }
        connection.handler.idleKey = key
        self.idle[key.upstream][key.server].append(connection)
        self.startSweeping()
    }

    /// Forgets `channel` (it closed while idle).
    func remove(_ channel: Channel, key: ServerKey) {
        self.idle[key.upstream][key.server].removeAll { $0.channel === channel }
    }
}
