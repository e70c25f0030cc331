import Foundation

/// A real `redis-server` on a free loopback port, stopped when this object goes away.
///
/// `make test` installs redis-server (scripts/install-deps.sh); each test that needs one starts its own, so
/// tests never share state and nothing is left running.
public final class RedisServer: @unchecked Sendable {  // safe: `process` is set once in init, then only read
    public let port: Int
    private let process = Process()

    public init() throws {
        self.port = try freePort()
        self.process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        self.process.arguments = [
            "redis-server", "--port", "\(self.port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--protected-mode", "yes", "--loglevel", "warning",
        ]
        self.process.standardOutput = FileHandle.nullDevice
        try self.process.run()
    }

    /// Waits until the server accepts connections.
    public func ready() async throws {
        try await waitForPort(self.port) { self.process.isRunning }
    }

    deinit {
        // Not Process.waitUntilExit(): on Linux it spins a run loop that never hears of the exit here.
        let pid = self.process.processIdentifier
        kill(pid, SIGKILL)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
    }
}
