import Foundation
import ServiceKit
import ServiceKitTesting
import TestSupport
import Testing

@testable import BurgerService

@Suite("burger-service")
struct BurgerServiceTests {
    static let templates = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources/BurgerService/templates").path

    func makeApp(kitchen: Kitchen = Kitchen()) -> ServiceApp {
        var config = ServiceConfig()
        config["SECRET_KEY"] = "test-secret"
        return makeBurgerApp(kitchen: kitchen, config: config, templates: Self.templates)
    }

    @Test func globalsGreetTheBasicAuthUser() async throws {
        let client = try self.makeApp().testClient()
        #expect(try await client.get("/api").json() == ["Hello": "Anonymous"])
        let auth = "Basic " + Data("alice:password".utf8).base64EncodedString()
        #expect(try await client.get("/api", headers: [.authorization: auth]).json() == ["Hello": "alice"])
    }

    @Test func cartLivesInTheSessionAndOrderRendersASignedReceipt() async throws {
        let kitchen = Kitchen()
        let client = try self.makeApp(kitchen: kitchen).testClient()
        let emptyOrder = try await client.send(.post, "/orders", json: ["email": "bob@example.com"])
        #expect(emptyOrder.status.code == 422)
        #expect(try await client.send(.post, "/cart", json: ["name": "cheeseburger"]).status == .created)
        #expect(try await client.send(.post, "/cart", json: ["name": "Fries"]).json()
            == [["name": "Cheeseburger", "price": 4.5], ["name": "Fries", "price": 2]])
        #expect(try await client.send(.post, "/cart", json: ["name": "caviar"]).status.code == 422)
        #expect(client.cookies["session"] != nil)

        let auth = "Basic " + Data("bob:pw".utf8).base64EncodedString()
        let placed = try await client.send(.post, "/orders", json: ["email": "bob@example.com"], headers: [.authorization: auth])
        #expect(placed.status == .created)
        #expect(try placed.json() == ["id": 1, "total": 6.5, "url": "/orders/1"])
        #expect(try await client.get("/cart").json() == [], "the order empties the cart")

        let email = try await client.get("/orders/1/email")
        #expect(email.headers[.contentType] == "message/rfc822")
        let (status, output) = try await runPeer("parse_email.py", [], stdin: email.text)
        #expect(status == 0)
        let parsed = try JSONValue(parsing: Array(output.utf8))
        #expect(parsed["defects"] == [])
        #expect(parsed["to"] == "bob@example.com")
        #expect(parsed["body"]?.stringValue?.contains("- Cheeseburger (4.5 Euros)\n- Fries (2.0 Euros)") == true)
        #expect(parsed["body"]?.stringValue?.hasPrefix("Hello bob,") == true)

        let order = try #require(kitchen.order(1))
        let expected = HMAC(key: Array("dev-receipt-key".utf8), algorithm: .sha256).authenticationCode(for: Array(order.receipt.utf8))
        #expect(order.signature == expected.map { String(format: "%02x", $0) }.joined(), "the receipt_ready receiver signed it")
    }

    @Test func sessionCookieIsReadableByFlask() async throws {
        let client = try self.makeApp().testClient()
        _ = try await client.send(.post, "/cart", json: ["name": "Root Beer"])
        let cookie = try #require(client.cookies["session"])
        let (status, output) = try await runPeer("flask_session.py", ["get", "test-secret", cookie])
        #expect(status == 0)
        #expect(output == #"{"dict": {"cart": {"list": [{"str": "Root Beer"}]}}}"#)
    }

    @Test func headersEchoesWhatArrived() async throws {
        try await self.makeApp().withLiveClient { client in
            let response = try await client.get("/headers", headers: [HTTPField.Name("X-Forwarded-For")!: "203.0.113.5"])
            let body = try response.json()
            #expect(body["headers"]?["X-Forwarded-For"] == "203.0.113.5")
            #expect(body["headers"]?["Host"] != nil)
            #expect(body["origin"] == "127.0.0.1")
        }
    }
}
