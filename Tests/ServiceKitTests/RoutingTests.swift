import Foundation
import HTTPTypes
import NIOCore
import ServiceKit
import ServiceKitTesting
import Testing

struct Team: Codable, Sendable, Equatable {
    let id: Int
    let members: [String]
}

@Suite("Routing, converters and responses")
struct RoutingTests {
    func makeApp() -> ServiceApp {
        let app = ServiceApp("routing")
        app.get("/teams/<int:team_id>", name: "get_team") { _, context in
            Team(id: try context.parameters.require("team_id", as: Int.self), members: ["Alice"])
        }
        app.get("/price/<float:amount>") { _, context in ["amount": try context.parameters.require("amount", as: Double.self)] }
        app.get("/things/<uuid:id>") { _, context in ["id": try context.parameters.require("id")] }
        app.get("/files/<path:rest>") { _, context in ["rest": try context.parameters.require("rest")] }
        app.get("/hello/<name>") { _, context in "Hello \(try context.parameters.require("name"))" }
        app.post("/teams", name: "create_team") { _, _ in Reply(["id": 3], status: .created, headers: [.location: "/teams/3"]) }
        app.delete("/teams/<int:team_id>") { _, _ in HTTPResponse.Status.noContent }
        app.route("/echo", methods: [.put, .patch]) { request, context in
            try await request.bytes(context: context)
        }
        return app
    }

    @Test func typedConvertersMatchAndReject() async throws {
        let client = try self.makeApp().testClient()
        #expect(try await client.get("/teams/7").decode(Team.self) == Team(id: 7, members: ["Alice"]))
        #expect(try await client.get("/price/4.50").json() == ["amount": 4.5])
        let uuid = "12345678-1234-5678-1234-567812345678"
        #expect(try await client.get("/things/\(uuid)").json() == ["id": .string(uuid)])
        #expect(try await client.get("/files/a/b/c.txt").json() == ["rest": "a/b/c.txt"])
        for path in ["/teams/seven", "/teams/-1", "/teams/1.5", "/price/4", "/price/abc", "/things/not-a-uuid", "/files"] {
            let response = try await client.get(path)
            #expect(response.status == .notFound, "\(path)")
            #expect(response.headers[.contentType] == "application/json")
            #expect(try response.json()["code"] == 404)
        }
    }

    @Test func returnValuesBecomeResponses() async throws {
        let client = try self.makeApp().testClient()
        let hello = try await client.get("/hello/bob")
        #expect(hello.text == "Hello bob")
        #expect(hello.headers[.contentType] == "text/html; charset=utf-8")

        let created = try await client.post("/teams")
        #expect(created.status == .created)
        #expect(created.headers[.location] == "/teams/3")
        #expect(try created.json() == ["id": 3])

        let deleted = try await client.request(.delete, "/teams/3")
        #expect(deleted.status == .noContent)
        #expect(deleted.body.readableBytes == 0)

        let echoed = try await client.request(.patch, "/echo", body: ByteBuffer(string: "raw bytes"))
        #expect(echoed.text == "raw bytes")
        #expect(echoed.headers[.contentType] == "application/octet-stream")
    }

    @Test func wrongMethodIs405ListingAllow() async throws {
        let client = try self.makeApp().testClient()
        let response = try await client.request(.put, "/teams/1")
        #expect(response.status == .methodNotAllowed)
        #expect(response.headers[.allow] == "DELETE, GET, HEAD, OPTIONS")
        #expect(try response.json()["code"] == 405)

        let options = try await client.request(.options, "/teams")
        #expect(options.status == .ok)
        #expect(options.headers[.allow] == "OPTIONS, POST")

        let head = try await client.request(.head, "/teams/1")
        #expect(head.status == .ok)
        #expect(head.body.readableBytes == 0)
    }

    @Test func jsonKeysAreSortedByDefaultAndConfigurable() async throws {
        let app = ServiceApp("json")
        app.get("/") { _, _ in ["b": 1, "a": 2, "c": 3] }
        #expect(try await app.testClient().get("/").text == #"{"a":2,"b":1,"c":3}"#)
    }

    @Test func reverseRoutingBuildsURLs() async throws {
        let app = self.makeApp()
        let teams = Blueprint("teams", urlPrefix: "/api")
        teams.get("/teams/<int:team_id>", name: "get_team") { _, context in
            ["self": try context.urlFor(".get_team", team_id: 9), "root": try context.urlFor("get_team", team_id: 1)]
        }
        app.register(teams)
        #expect(try app.urlFor("get_team", team_id: 1) == "/teams/1")
        #expect(try app.urlFor("teams.get_team", team_id: 2, expand: true) == "/api/teams/2?expand=true")
        #expect(throws: RouteError.self) { try app.urlFor("teams.get_team", team_id: "x") }
        #expect(throws: RouteError.self) { try app.urlFor("teams.get_team") }
        #expect(throws: RouteError.self) { try app.urlFor("nope") }
        #expect(try await app.testClient().get("/api/teams/4").json() == ["self": "/api/teams/9", "root": "/teams/1"])
    }

    @Test func badRoutesFailTheBuildWithAReason() {
        for pattern in ["/a/<bogus:x>", "/a/<path:p>/b", "/a/<x>/<x>", "/a/b<x>", "/a/<x"] {
            let app = ServiceApp("bad")
            app.get(pattern) { _, _ in "" }
            #expect(throws: RouteError.self, "\(pattern)") { _ = try app.buildResponder() }
        }
        let duplicate = ServiceApp("dup")
        duplicate.get("/a", name: "same") { _, _ in "" }
        duplicate.get("/b", name: "same") { _, _ in "" }
        #expect(throws: RouteError.self) { _ = try duplicate.buildResponder() }
    }

    @Test func routePatternIsPureAndMapsToTheRouter() throws {
        let pattern = try RoutePattern("/teams/<int:team_id>/files/<path:rest>")
        #expect(pattern.routerPath == "/teams/:team_id/files/**")
        #expect(pattern.parameters.map(\.name) == ["team_id", "rest"])
        #expect(try pattern.build(["team_id": "3", "rest": "a b/c"]) == "/teams/3/files/a%20b/c")
        #expect(RoutePattern.Converter.int.accepts("0042"))
        #expect(!RoutePattern.Converter.int.accepts("99999999999999999999999"))
        #expect(!RoutePattern.Converter.float.accepts("1."))
        #expect(!RoutePattern.Converter.string.accepts(""))
    }
}
