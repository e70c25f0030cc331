import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOPosix
import ServiceKit
import ServiceKitTesting
import ServiceLifecycle
import Testing

@Suite("Running a server")
struct RunningTests {
    @Test func portInUseIsAClearError() async throws {
        let blocker = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        defer { try? blocker.close().wait() }
        let port = try #require(blocker.localAddress?.port)
        let app = ServiceApp("busy")
        app.get("/") { _, _ in "hi" }
        let error = try await #require(throws: ServeError.self) { try await app.run(host: "127.0.0.1", port: port) }
        #expect(error.port == port)
        #expect(error.description.contains("already in use"))
    }

    @Test func gracefulShutdownLetsRequestsInFlightFinish() async throws {
        let app = ServiceApp("graceful")
        let started = AsyncStream<Void>.makeStream()
        app.get("/slow") { _, _ in
            started.continuation.yield()
            try await Task.sleep(for: .milliseconds(500))
            return "finished"
        }
        let port = Int.random(in: 20_000...40_000)
        let server = try app.makeServer(host: "127.0.0.1", port: port)
        let group = ServiceGroup(configuration: .init(services: [server], logger: Logger(label: "test")))
        try await withThrowingTaskGroup(of: String?.self) { tasks in
            tasks.addTask {
                try await group.run()
                return nil
            }
            tasks.addTask {
                try await waitForPort(port)
                return try await httpGet(port: port, path: "/slow")
            }
            var iterator = started.stream.makeAsyncIterator()
            await iterator.next()
            await group.triggerGracefulShutdown()
            var answers: [String] = []
            for try await answer in tasks { if let answer { answers.append(answer) } }
            #expect(answers.count == 1)
            #expect(answers.first?.hasSuffix("finished") == true)
        }
    }
}

/// Waits until something accepts connections on `port`.
func waitForPort(_ port: Int) async throws {
    for _ in 0..<100 {
        if let channel = try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port).get() {
            try await channel.close()
            return
        }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw CancellationError()
}

/// A one-shot HTTP/1.1 GET over a raw socket; returns the whole response text.
func httpGet(port: Int, path: String) async throws -> String {
    try await Task.detached {
        let socket = try Socket(port: port)
        defer { socket.close() }
        try socket.send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        return socket.receiveAll()
    }.value
}

/// A blocking TCP client over POSIX sockets, for tests that need exact bytes on the wire.
struct Socket {
    let descriptor: Int32

    init(port: Int) throws {
        self.descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(self.descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { throw IOError(errnoCode: errno, reason: "connect") }
    }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard write(self.descriptor, bytes, bytes.count) == bytes.count else { throw IOError(errnoCode: errno, reason: "write") }
    }

    func receiveAll() -> String {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(self.descriptor, &buffer, buffer.count)
            if count <= 0 { break }
            data += buffer[0..<count]
        }
        return String(decoding: data, as: UTF8.self)
    }

    func close() { _ = Glibc.close(self.descriptor) }
}
