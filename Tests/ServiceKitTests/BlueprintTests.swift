import HTTPTypes
import ServiceKit
import ServiceKitTesting
import Testing

@Suite("Blueprints")
struct BlueprintTests {
    struct NotOnTheTeam: Error {}

    func makeApp() -> ServiceApp {
        let app = ServiceApp("blueprints")
        let teams = Blueprint("teams")
        teams.beforeRequest { _, context in
            context.g.scope = "teams"
            return nil
        }
        teams.afterRequest { response, _, context in
            var response = response
            response.headers[HTTPField.Name("X-Scope")!] = context.g.scope as? String
            return response
        }
        teams.errorHandler(for: NotOnTheTeam.self) { _, _, _ in Reply(["error": "not on the team"], status: .forbidden) }
        teams.get("/teams", name: "get_all") { _, _ in [1: ["Alice", "Bob"], 2: ["Charles"]] }
        teams.get("/teams/<int:team_id>", name: "get_team") { _, context -> [String] in
            let id = try context.parameters.require("team_id", as: Int.self)
            guard id != 3 else { throw NotOnTheTeam() }
            guard let members = [1: ["Alice", "Bob"], 2: ["Charles"]][id] else { try abort(404, "No team \(id).") }
            return members
        }
        app.register(teams, urlPrefix: "/v1")
        app.get("/other") { _, context in ["scope": context.g.scope as? String ?? "app", "endpoint": context.endpoint ?? ""] }
        app.get("/error") { _, _ -> String in throw NotOnTheTeam() }
        return app
    }

    @Test func routesLiveUnderThePrefixWithTheirHooks() async throws {
        let client = try self.makeApp().testClient()
        let all = try await client.get("/v1/teams")
        #expect(try all.json() == ["1": ["Alice", "Bob"], "2": ["Charles"]])
        #expect(all.header("x-scope") == ["teams"])
        #expect(try await client.get("/v1/teams/2").json() == ["Charles"])
        #expect(try await client.get("/teams").status == .notFound)
        let other = try await client.get("/other")
        #expect(try other.json() == ["scope": "app", "endpoint": "/other"], "blueprint hooks run only for its routes")
        #expect(other.header("x-scope").isEmpty)
    }

    @Test func blueprintErrorHandlersCoverOnlyItsRoutes() async throws {
        let client = try self.makeApp().testClient()
        let forbidden = try await client.get("/v1/teams/3")
        #expect(forbidden.status == .forbidden)
        #expect(try forbidden.json() == ["error": "not on the team"])
        #expect(try await client.get("/error").status == .internalServerError)
        let missing = try await client.get("/v1/teams/9")
        #expect(try missing.json()["message"] == "404 Not Found: No team 9.")
    }
}
