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
