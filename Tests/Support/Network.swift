import Foundation
import NIOCore
import NIOPosix

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A loopback port nothing listens on right now.
public func freePort() throws -> Int {
    let channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).wait()
    defer { try? channel.close().wait() }
    guard let port = channel.localAddress?.port else { throw URLError(.cannotConnectToHost) }
    return port
}

/// A loopback port that refuses connections for as long as this value lives.
///
/// A port from ``freePort()`` is free only until someone binds it, and tests run in parallel: a "dead" backend
/// port taken meanwhile by another test's server answers instead of refusing. This socket is bound to the port
/// without `SO_REUSEADDR` and never listens, so the kernel answers each connection with a reset and no other
/// socket can bind the port.
public final class RefusingPort: Sendable {
    /// The refusing port.
    public let port: Int
    private let descriptor: Int32

    /// Binds a fresh loopback port without listening on it.
    public init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(descriptor, socketAddress, length) == 0 && getsockname(descriptor, socketAddress, &length) == 0
            }
        }
        guard bound else {
            let code = POSIXErrorCode(rawValue: errno) ?? .EIO
            close(descriptor)
            throw POSIXError(code)
        }
        self.descriptor = descriptor
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit {
        close(self.descriptor)
    }
}

/// Waits until something accepts connections on 127.0.0.1:`port` (10 s at most).
public func waitForPort(_ port: Int, while alive: () -> Bool = { true }) async throws {
    for _ in 0..<200 {
        if let channel = try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port).get() {
            // The server may already have closed this probe connection; that is fine.
            try? await channel.close()
            return
        }
        guard alive() else { break }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw URLError(.cannotConnectToHost)
}

/// GET http://127.0.0.1:`port``path` over a fresh connection; returns the status and the body.
public func httpGet(port: Int, path: String) async throws -> (status: Int, body: String) {
    guard let url = URL(string: "http://127.0.0.1:\(port)\(path)") else { throw URLError(.badURL) }
    let (data, response) = try await URLSession.shared.data(from: url)
    return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
}
