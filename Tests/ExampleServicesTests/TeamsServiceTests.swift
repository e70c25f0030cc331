import Foundation
import ServiceKit
import ServiceKitTesting
import TestSupport
import Testing

@testable import TeamsService

@Suite("teams-service")
struct TeamsServiceTests {
    @Test func seedBlueprintsServeTeams() async throws {
        let client = try makeTeamsApp().testClient()
        #expect(try await client.get("/teams").json() == ["1": ["Alice", "Bob"], "2": ["Charles"]])
        #expect(try await client.get("/teams/1").json() == ["Alice", "Bob"])
        let missing = try await client.get("/teams/9")
        #expect(missing.status == .notFound)
        #expect(try missing.json()["message"] == "404 Not Found: There is no team 9.")
        #expect(try await client.get("/teams/ops").status == .notFound)
    }

    @Test func employeesAreHiredListedAndRemoved() async throws {
        let client = try makeTeamsApp().testClient()
        let hired = try await client.send(.post, "/employees", json: ["name": "Dana", "team_id": "2"].mapValues { $0 })
        #expect(hired.status == .badRequest, "team_id must be a number")

        let created = try await client.send(.post, "/employees", json: NewHire(name: "Dana", team_id: 2))
        #expect(created.status == .created)
        #expect(created.headers[.location] == "/employees/4")
        #expect(try created.json() == ["id": 4, "name": "Dana", "team_id": 2, "url": "/employees/4", "team_url": "/teams/2"])
        #expect(try await client.get("/teams/2").json() == ["Charles", "Dana"])

        #expect(try await client.send(.post, "/employees", json: NewHire(name: "  ", team_id: 2)).status.code == 422)
        #expect(try await client.request(.delete, "/employees/4").status == .noContent)
        #expect(try await client.request(.delete, "/employees/4").status == .notFound)
        #expect(try await client.request(.put, "/employees/1").headers[.allow] == "DELETE, GET, HEAD, OPTIONS")
    }

    struct NewHire: Encodable {
        let name: String
        let team_id: Int
    }
}

@Suite("Example services as processes")
struct ServiceProcessTests {
    @Test func sigtermStopsCleanlyAndABusyPortIsAClearError() async throws {
        let port = try freePort()
        let first = try ServiceProcess.start("teams-service", ["--port", "\(port)"])
        try await first.waitUntilListening(port: port)
        let (status, body) = try await httpGet(port: port, path: "/teams/2")
        #expect(status == 200)
        #expect(body == #"["Charles"]"#)

        let second = try ServiceProcess.start("teams-service", ["--port", "\(port)"])
        let secondStatus = await second.waitForExit()
        #expect(secondStatus == 1)
        #expect(second.errorOutput.contains("cannot listen on 127.0.0.1:\(port): the address is already in use"))

        first.process.terminate()
        #expect(await first.waitForExit() == 0, "SIGTERM is a graceful shutdown, not a crash")
        #expect(first.output.contains("stopped"))
    }

    @Test func badConfigFileFailsAtStartNamingFileAndKey() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("teams-\(UUID().uuidString).yaml").path
        try "DEBUG: maybe\n".write(toFile: path, atomically: true, encoding: .utf8)
        let service = try ServiceProcess.start("teams-service", ["--port", "\(try freePort())", "--config", path])
        #expect(await service.waitForExit() == 1)
        #expect(service.errorOutput.contains("\(path):1: DEBUG: expected a boolean (true or false), found string \"maybe\""))
    }
}
