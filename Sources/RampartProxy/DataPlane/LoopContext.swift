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

    private var idle: [ServerKey: [PooledConnection]] = [:]
    private var selectors: [ServerSelector]
    let eventLoop: EventLoop
    /// Request ids for this loop's requests.
    var requestIDs = RequestIDGenerator()
    /// What this loop has counted; the admin listener merges every loop's.
    var stats = TrafficStats()
    /// The shared bucket store over this loop's own Redis connection, when the config names one.
    let redis: RedisBucketStore?
    /// Connections with deadlines to watch, by identity.
    private var watched: [ObjectIdentifier: DownstreamHandler] = [:]
    private var sweeping = false

    /// Each upstream's idle timeout for pooled connections.
    private let idleTimeouts: [TimeAmount]

    init(eventLoop: EventLoop, config: ProxyConfig) {
        self.eventLoop = eventLoop
        self.selectors = config.upstreams.map { ServerSelector(count: $0.servers.count, backoff: $0.failureBackoff) }
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
            if self.watched.isEmpty && self.idle.values.allSatisfy(\.isEmpty) {
                self.sweeping = false
            } else {
                self.scheduleSweep()
            }
        }
    }

    private func closeIdle(now: NIODeadline) {
        for (key, connections) in self.idle where !connections.isEmpty {
            let limit = self.idleTimeouts[key.upstream]
            let (expired, kept) = (connections.filter { $0.since + limit <= now }, connections.filter { $0.since + limit > now })
            guard !expired.isEmpty else { continue }
            self.idle[key] = kept
            for connection in expired {
                connection.handler.onIdleClose = nil
                connection.channel.close(promise: nil)
            }
        }
    }

    /// Idle pooled connections on this loop.
    var idleCount: Int { self.idle.values.reduce(0) { $0 + $1.count } }

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
        for connection in self.idle.removeValue(forKey: key) ?? [] { connection.channel.close(promise: nil) }
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
        while let connection = self.idle[key]?.popLast() {
            if connection.channel.isActive { return connection }
        }
        return nil
    }

    /// Returns a connection to the pool (idle from now), or closes it when the pool for `key` is full. A pooled connection
    /// that closes removes itself (``UpstreamHandler/onIdleClose``).
    func putIdle(_ connection: PooledConnection, key: ServerKey, limit: Int) {
        guard (self.idle[key]?.count ?? 0) < limit, connection.channel.isActive else {
            connection.channel.close(promise: nil)
            return
        }
        self.idle[key, default: []].append(connection)
        self.startSweeping()
    }

    /// Forgets `channel` (it closed while idle).
    func remove(_ channel: Channel, key: ServerKey) {
        self.idle[key]?.removeAll { $0.channel === channel }
    }
}
