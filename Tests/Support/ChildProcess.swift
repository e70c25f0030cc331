import Foundation

/// A server process a test starts on a free loopback port and kills when done (or when this object goes away).
public final class ChildProcess: @unchecked Sendable {  // safe: `process` is set up in init, then only read; `kill` is idempotent
    /// The port the process was told to listen on.
    public let port: Int
    private let process = Process()

    /// Starts `command` (looked up on PATH, or a path); `arguments` may use the port it is given, a free one
    /// unless `port` names it. `environment` adds variables to the test's own.
    public init(_ command: String, arguments: (Int) -> [String], environment: [String: String] = [:], port: Int? = nil, quiet: Bool = true) throws {
        self.port = try port ?? freePort()
        self.process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        self.process.arguments = [command] + arguments(self.port)
        self.process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if quiet { self.process.standardOutput = FileHandle.nullDevice }
        try self.process.run()
    }

    /// The process id.
    public var pid: Int { Int(self.process.processIdentifier) }

    /// Waits until the process accepts connections on its port.
    public func ready() async throws {
        try await waitForPort(self.port) { self.process.isRunning }
    }

    /// Kills the process (SIGKILL) and reaps it.
    public func kill() {
        // Not Process.waitUntilExit(): on Linux it spins a run loop that never hears of the exit here.
        let pid = self.process.processIdentifier
        guard pid > 0, Glibc.kill(pid, SIGKILL) == 0 else { return }
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
    }

    deinit { self.kill() }
}
