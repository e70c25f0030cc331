import ArgumentParser
import Foundation
import ProxyCore

#if canImport(Glibc)
import Glibc
#endif

/// `rampart health`: asks a running Rampart's admin listener whether it is alive (or ready), for container
/// health checks on images that carry no HTTP client.
struct HealthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "Check a running Rampart's /healthz (or /readyz); exit 0 when it answers 200.",
        discussion: "The admin address comes from the config file (RAMPART_ADMIN_LISTEN overrides it); a wildcard host is reached on loopback."
    )

    @Option(name: .long, help: "The config file of the Rampart to check.")
    var config: String = "rampart.yaml"

    @Flag(name: .long, help: "Check /readyz instead of /healthz.")
    var ready = false

    @Option(name: .long, help: "Seconds to wait for the answer.")
    var timeout: Int = 3

    func run() throws {
        let config: ProxyConfig
        do {
            config = try ProxyConfigFile.load(path: self.config, environment: ProcessInfo.processInfo.environment)
        } catch {
            FileHandle.standardError.write(Data("rampart: \(error)\n".utf8))
            throw ExitCode.failure
        }
        let host = ["0.0.0.0", "::", ""].contains(config.adminListen.host) ? "127.0.0.1" : config.adminListen.host
        let path = self.ready ? "/readyz" : "/healthz"
        switch Self.status(host: host, port: config.adminListen.port, path: path, timeout: self.timeout) {
        case .success(200):
            print("\(path): ok")
        case .success(let status):
            FileHandle.standardError.write(Data("rampart: \(path) answered \(status)\n".utf8))
            throw ExitCode.failure
        case .failure(let error):
            FileHandle.standardError.write(Data("rampart: \(host):\(config.adminListen.port)\(path): \(error.message)\n".utf8))
            throw ExitCode.failure
        }
    }

    struct ProbeError: Error {
        let message: String
    }

    /// The status code of `GET path`, over a plain blocking socket.
    static func status(host: String, port: Int, path: String, timeout: Int) -> Result<Int, ProbeError> {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else { return .failure(ProbeError(message: "cannot resolve \(host)")) }
        defer { freeaddrinfo(list) }
        let socket = Glibc.socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
        guard socket >= 0 else { return .failure(ProbeError(message: String(cString: strerror(errno)))) }
        defer { close(socket) }
        var wait = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        guard connect(socket, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else {
            return .failure(ProbeError(message: String(cString: strerror(errno))))
        }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n".utf8)
        guard send(socket, request, request.count, 0) == request.count else { return .failure(ProbeError(message: "the request could not be sent")) }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 512)
        while !response.contains(0x0A) {
            let count = recv(socket, &chunk, chunk.count, 0)
            guard count > 0 else { break }
            response += chunk[..<count]
        }
        let statusLine = String(decoding: response.prefix { $0 != 0x0A }, as: UTF8.self).split(separator: " ")
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/"), let status = Int(statusLine[1]) else {
            return .failure(ProbeError(message: "no HTTP answer"))
        }
        return .success(status)
    }
}
