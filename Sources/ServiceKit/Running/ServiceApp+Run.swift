public import Hummingbird
import Logging
public import NIOCore
import NIOPosix

extension ServiceApp {
    /// The Hummingbird application serving this app on `host`:`port`, to run inside your own `ServiceGroup`.
    ///
    /// - Parameter onServerRunning: called with the bound address once the server listens (port 0 picks a
    ///   free port; this tells which).
    public func makeServer(
        host: String = "127.0.0.1",
        port: Int = 5000,
        onServerRunning: @escaping @Sendable (SocketAddress?) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        Application(
            responder: try self.buildResponder(),
            configuration: .init(address: .hostname(host, port: port), serverName: self.name),
            onServerRunning: { channel in await onServerRunning(channel.localAddress) },
            logger: self.logger
        )
    }

    /// Serves the app until SIGTERM or SIGINT, then stops accepting connections and lets requests in flight
    /// finish before returning (Quart's `app.run`).
    ///
    /// - Throws: ``ServeError`` when the address is in use or cannot be bound; ``RouteError`` for a bad route.
    public func run(host: String = "127.0.0.1", port: Int = 5000) async throws {
        let server = try self.makeServer(host: host, port: port)
        self.logger.info("serving", metadata: ["app": "\(self.name)", "address": "\(host):\(port)"])
        do {
            try await server.runService()
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            throw ServeError(host: host, port: port, reason: "the address is already in use; stop the other server or choose another port")
        } catch let error as IOError where error.errnoCode == EADDRNOTAVAIL || error.errnoCode == EACCES {
            throw ServeError(host: host, port: port, reason: "the address cannot be bound (\(error))")
        }
        self.logger.info("stopped", metadata: ["app": "\(self.name)"])
    }
}

/// The server could not start listening.
public struct ServeError: Error, Sendable, CustomStringConvertible {
    /// The host it tried to bind.
    public let host: String
    /// The port it tried to bind.
    public let port: Int
    /// Why it failed and what to do.
    public let reason: String

    /// An error for `host`:`port`, with the reason and what to do.
    public init(host: String, port: Int, reason: String) {
        self.host = host
        self.port = port
        self.reason = reason
    }

    public var description: String { "cannot listen on \(self.host):\(self.port): \(self.reason)" }
}
