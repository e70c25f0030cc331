import Foundation
import HTTPTypes
import NIOCore
import ServiceKit
import ServiceKitTesting
import Testing

@Suite("Request attributes")
struct RequestTests {
    func makeApp() -> ServiceApp {
        let app = ServiceApp("request")
        app.get("/args") { request, _ in ["q": request.args["q"] ?? "", "all": request.args[values: "tag"].joined(separator: ",")] }
        app.post("/form") { request, context in
            let form = try await request.form(context: context)
            return ["name": form["name"] ?? "", "note": form["note"] ?? ""]
        }
        app.post("/json") { request, context in try await request.json(context: context) }
        app.post("/typed") { request, context in try await request.json(as: Team.self, context: context) }
        app.get("/whoami") { request, context in
            switch request.authorization {
            case .basic(let user, let password)?: ["scheme": "basic", "user": user, "password": password]
            case .bearer(let token)?: ["scheme": "bearer", "token": token]
            case .other(let scheme, _)?: ["scheme": scheme]
            case nil: ["scheme": "none"]
            }
        }
        app.get("/cookies") { request, _ in ["flavour": request.cookies["flavour"]?.value ?? ""] }
        app.get("/peer") { request, context in
            ["remote": context.remoteAddr ?? "", "route": request.accessRoute(context: context).joined(separator: ",")]
        }
        app.get("/headers") { request, _ in ["agent": request.headers[.userAgent] ?? ""] }
        return app
    }

    @Test func queryArgumentsAreDecodedAndMultiValued() async throws {
        let response = try await self.makeApp().testClient().get("/args?q=caf%C3%A9+au+lait&tag=a&tag=b")
        #expect(try response.json() == ["q": "café au lait", "all": "a,b"])
    }

    @Test func urlencodedFormIsParsed() async throws {
        let client = try self.makeApp().testClient()
        let response = try await client.post(
            "/form",
            headers: [.contentType: "application/x-www-form-urlencoded"],
            body: ByteBuffer(string: "name=O%27Brien&note=two+words")
        )
        #expect(try response.json() == ["name": "O'Brien", "note": "two words"])
        let wrongType = try await client.post("/form", headers: [.contentType: "text/plain"], body: ByteBuffer(string: "x"))
        #expect(wrongType.status == .unsupportedMediaType)
    }

    @Test func jsonBodyParsesAndMalformedJSONIsAJSON400() async throws {
        let client = try self.makeApp().testClient()
        #expect(try await client.send(.post, "/json", json: ["a": [1, 2]]).json() == ["a": [1, 2]])
        let malformed = try await client.post("/json", headers: [.contentType: "application/json"], body: ByteBuffer(string: "{\"a\": "))
        #expect(malformed.status == .badRequest)
        #expect(malformed.headers[.contentType] == "application/json")
        let body = try malformed.json()
        #expect(body["code"] == 400)
        #expect(body["description"]?.stringValue?.hasPrefix("Failed to decode JSON object") == true)

        let mismatched = try await client.send(.post, "/typed", json: ["id": "seven"])
        #expect(mismatched.status == .badRequest)
        #expect(try await client.send(.post, "/typed", json: Team(id: 1, members: [])).decode(Team.self) == Team(id: 1, members: []))
    }

    @Test func authorizationBasicAndBearerAreParsed() async throws {
        let client = try self.makeApp().testClient()
        let basic = Data("alice:pa:ss".utf8).base64EncodedString()
        #expect(try await client.get("/whoami", headers: [.authorization: "Basic \(basic)"]).json()
            == ["scheme": "basic", "user": "alice", "password": "pa:ss"])
        #expect(try await client.get("/whoami", headers: [.authorization: "Bearer tok.en"]).json() == ["scheme": "bearer", "token": "tok.en"])
        #expect(try await client.get("/whoami", headers: [.authorization: "Basic !!!"]).json() == ["scheme": "none"])
        #expect(try await client.get("/whoami").json() == ["scheme": "none"])
        #expect(Authorization(header: "Digest x=1") == .other(scheme: "Digest", credentials: "x=1"))
    }

    @Test func cookiesAndHeadersAreRead() async throws {
        let client = try self.makeApp().testClient()
        client.setCookie("flavour", "oatmeal")
        #expect(try await client.get("/cookies").json() == ["flavour": "oatmeal"])
        #expect(try await client.get("/headers", headers: [.userAgent: "probe/1"]).json() == ["agent": "probe/1"])
    }

    @Test func remoteAddressAndAccessRouteOverARealSocket() async throws {
        try await self.makeApp().withLiveClient { client in
            #expect(try await client.get("/peer").json() == ["remote": "127.0.0.1", "route": "127.0.0.1"])
            let forwarded = try await client.get("/peer", headers: [HTTPField.Name("X-Forwarded-For")!: "203.0.113.9, 10.0.0.2"])
            #expect(try forwarded.json() == ["remote": "127.0.0.1", "route": "203.0.113.9,10.0.0.2"])
        }
    }
}
