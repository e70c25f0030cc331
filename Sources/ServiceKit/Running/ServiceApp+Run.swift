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
        } catch {
            throw ServeError.bindFailure(error, host: host, port: port, remedy: "choose another port")
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

    /// `error` as a ``ServeError`` when it is a failure to bind `host`:`port` (in use, no such address, no
    /// permission), ending with `remedy` (what to change, e.g. "choose another port"); any other error as it is.
    public static func bindFailure(_ error: any Error, host: String, port: Int, remedy: String) -> any Error {
        guard let error = error as? IOError else { return error }
        let reason: String
        switch error.errnoCode {
        case EADDRINUSE: reason = "the address is already in use; stop the other server or \(remedy)"
        case EADDRNOTAVAIL: reason = "no interface of this machine has that address; \(remedy)"
        case EACCES: reason = "permission denied (ports below 1024 need CAP_NET_BIND_SERVICE); \(remedy)"
        default: return error
        }
        return ServeError(host: host, port: port, reason: reason)
    }
}
