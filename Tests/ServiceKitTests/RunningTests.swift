import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOPosix
import ServiceKit
import ServiceKitTesting
import ServiceLifecycle
import TestSupport
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
        let port = try freePort()
        let server = try app.makeServer(host: "127.0.0.1", port: port)
        let group = ServiceGroup(configuration: .init(services: [server], logger: Logger(label: "test")))
        try await withThrowingTaskGroup(of: String?.self) { tasks in
            tasks.addTask {
                try await group.run()
                return nil
            }
            tasks.addTask {
                try await waitForPort(port)
                return try await httpGet(port: port, path: "/slow").body
            }
            var iterator = started.stream.makeAsyncIterator()
            await iterator.next()
            await group.triggerGracefulShutdown()
            var answers: [String] = []
            for try await answer in tasks { if let answer { answers.append(answer) } }
            #expect(answers.count == 1)
            #expect(answers == ["finished"])
        }
    }
}

