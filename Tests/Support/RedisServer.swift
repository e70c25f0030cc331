/// A real `redis-server` on a free loopback port, stopped when this object goes away.
///
/// `make test` installs redis-server (scripts/install-deps.sh); each test that needs one starts its own, so
/// tests never share state and nothing is left running.
public final class RedisServer: Sendable {
    private let child: ChildProcess

    /// The port.
    public var port: Int { self.child.port }

    /// Starts the server.
    public init() throws {
        self.child = try ChildProcess("redis-server") { port in
            ["--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes", "--loglevel", "warning"]
        }
    }

    /// Waits until the server accepts connections.
    public func ready() async throws {
        try await self.child.ready()
    }
}
