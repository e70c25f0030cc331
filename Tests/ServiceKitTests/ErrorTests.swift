import Foundation
import HTTPTypes
import NIOCore
import ServiceKit
import ServiceKitTesting
import Testing

struct PaymentDeclined: Error {
    let reason: String
}

@Suite("JSON errors for every 4xx and 5xx")
struct ErrorTests {
    func makeApp(debug: Bool = false) -> ServiceApp {
        var config = ServiceConfig()
        config["DEBUG"] = .bool(debug)
        config["MAX_CONTENT_LENGTH"] = 16
        let app = ServiceApp("errors", config: config)
        app.get("/api") { _, _ -> String in throw TypeErrorLike(message: "Some Exception") }
        app.get("/teams/<int:id>") { _, _ -> String in try abort(404, "No such team.") }
        app.post("/upload") { request, context in try await request.bytes(context: context) }
        app.post("/pay") { _, _ -> String in throw PaymentDeclined(reason: "card expired") }
        return app
    }

    struct TypeErrorLike: Error, CustomStringConvertible {
        let message: String
        var description: String { self.message }
    }

    func expectErrorBody(_ response: TestResult, _ code: Int) throws {
        #expect(response.status.code == code)
        #expect(response.headers[.contentType] == "application/json")
        let body = try response.json()
        #expect(body["code"] == .int(code))
        let description = try #require(body["description"]?.stringValue)
        #expect(body["message"] == .string("\(code) \(ErrorBody.reasonPhrase(for: code)): \(description)"))
    }

    @Test func unknownPathIsAJSON404WithWerkzeugsDescription() async throws {
        let response = try await self.makeApp().testClient().get("/nowhere")
        try self.expectErrorBody(response, 404)
        #expect(try response.json()["description"] == .string(ErrorBody.standardDescription(for: 404)))
    }

    @Test func abortCarriesItsDescription() async throws {
        let response = try await self.makeApp().testClient().get("/teams/3")
        try self.expectErrorBody(response, 404)
        #expect(try response.json()["message"] == "404 Not Found: No such team.")
    }

    @Test func bodiesOverMaxContentLengthAre413() async throws {
        let client = try self.makeApp().testClient()
        try self.expectErrorBody(try await client.post("/upload", body: ByteBuffer(string: String(repeating: "x", count: 17))), 413)
        #expect(try await client.post("/upload", body: ByteBuffer(string: "small")).text == "small")
    }

    @Test func thrownErrorIsA500ThatLeaksNothing() async throws {
        let response = try await self.makeApp().testClient().get("/api")
        try self.expectErrorBody(response, 500)
        #expect(!response.text.contains("Some Exception"))
        #expect(!response.text.contains("TypeErrorLike"))
    }

    @Test func debugModeNamesTheErrorTypeAndMessage() async throws {
        let response = try await self.makeApp(debug: true).testClient().get("/api")
        try self.expectErrorBody(response, 500)
        #expect(try response.json()["description"] == "TypeErrorLike: Some Exception")
    }

    @Test func seedErrorHandlerFor500() async throws {
        let app = self.makeApp()
        app.errorHandler(.internalServerError) { error, _, _ in
            Reply(["Error": "\(error)"], status: .internalServerError)
        }
        let response = try await app.testClient().get("/api")
        #expect(response.status == .internalServerError)
        #expect(try response.json() == ["Error": "Some Exception"])
    }

    @Test func handlersByTypeWinOverHandlersByStatus() async throws {
        let app = self.makeApp()
        app.errorHandler(.internalServerError) { _, _, _ in Reply("generic", status: .internalServerError) }
        app.errorHandler(for: PaymentDeclined.self) { error, _, _ in
            Reply(["declined": error.reason], status: .init(code: 402))
        }
        app.errorHandler(.notFound) { _, request, _ in JSON(["missing": request.uri.path]) }
        let client = try app.testClient()
        let declined = try await client.post("/pay")
        #expect(declined.status == .init(code: 402))
        #expect(try declined.json() == ["declined": "card expired"])
        #expect(try await client.get("/api").text == "generic")
        let missing = try await client.get("/gone")
        #expect(missing.status == .notFound, "a handler's 200 keeps the status it handles")
        #expect(try missing.json() == ["missing": "/gone"])
    }

    @Test func failingErrorHandlerFallsBackToTheJSON500() async throws {
        let app = self.makeApp()
        app.errorHandler(.notFound) { _, _, _ -> String in throw PaymentDeclined(reason: "oops") }
        try self.expectErrorBody(try await app.testClient().get("/gone"), 500)
    }

    @Test func errorBodyIsReusableWithExtraMembers() throws {
        let body = ErrorBody(code: 429, extra: ["policy": "per-ip", "retry_after": 3])
        let json = try JSONValue(parsing: body.serialized())
        #expect(json["policy"] == "per-ip")
        #expect(json["retry_after"] == 3)
        #expect(json["message"] == .string("429 Too Many Requests: \(ErrorBody.standardDescription(for: 429))"))
    }
}
