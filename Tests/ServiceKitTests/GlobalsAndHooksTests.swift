import Foundation
import HTTPTypes
import ServiceKit
import ServiceKitTesting
import Synchronization
import TestSupport
import Testing

@Suite("Globals and request hooks")
struct GlobalsAndHooksTests {
    /// The seed's globals.py, line for line.
    func makeGlobalsApp() -> ServiceApp {
        let app = ServiceApp("globals")
        app.beforeRequest { request, context in
            context.g.user = request.authorization?.username ?? "Anonymous"
            return nil
        }
        app.get("/api") { _, context in ["Hello": context.g.user as? String ?? ""] }
        return app
    }

    @Test func seedGlobalsExample() async throws {
        let client = try self.makeGlobalsApp().testClient()
        #expect(try await client.get("/api").json() == ["Hello": "Anonymous"])
        let alice = "Basic " + Data("alice:password".utf8).base64EncodedString()
        #expect(try await client.get("/api", headers: [.authorization: alice]).json() == ["Hello": "alice"])
    }

    @Test func globalsDoNotLeakBetweenConcurrentRequests() async throws {
        let app = ServiceApp("isolation")
        app.beforeRequest { request, context in
            context.g.user = request.authorization?.username ?? "Anonymous"
            // Give other requests the chance to run between the hook and the handler.
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...3)))
            return nil
        }
        app.get("/api") { _, context in
            await Task.yield()
            return ["Hello": context.g.user as? String ?? "", "names": context.g.names.sorted().joined(separator: ",")]
        }
        app.afterRequest { response, _, context in
            var response = response
            response.headers[HTTPField.Name("X-User")!] = context.g.user as? String
            return response
        }
        try await app.withLiveClient { client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<300 {
                    group.addTask {
                        let user = "user\(index)"
                        let auth = "Basic " + Data("\(user):pw".utf8).base64EncodedString()
                        let response = try await client.get("/api", headers: [.authorization: auth])
                        #expect(try response.json() == ["Hello": .string(user), "names": "user"])
                        #expect(response.header("x-user") == [user])
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    @Test func beforeHookMayAnswerEarlyAndAfterHooksRunInReverse() async throws {
        let app = ServiceApp("hooks")
        let handlerCalls = Locked(0)
        app.beforeRequest { request, _ in
            request.headers[.authorization] == nil ? Response(status: .unauthorized) : nil
        }
        app.afterRequest { response, _, _ in
            var response = response
            response.headers.append(HTTPField(name: HTTPField.Name("X-Order")!, value: "first-registered"))
            return response
        }
        app.afterRequest { response, _, _ in
            var response = response
            response.headers.append(HTTPField(name: HTTPField.Name("X-Order")!, value: "second-registered"))
            return response
        }
        app.get("/") { _, _ in
            handlerCalls.withLock { $0 += 1 }
            return "ok"
        }
        let client = try app.testClient()
        let denied = try await client.get("/")
        #expect(denied.status == .unauthorized)
        #expect(handlerCalls.withLock { $0 } == 0)
        let allowed = try await client.get("/", headers: [.authorization: "Bearer t"])
        #expect(allowed.text == "ok")
        #expect(allowed.header("x-order") == ["second-registered", "first-registered"])
    }

    @Test func teardownAlwaysRunsAndSeesTheError() async throws {
        struct Boom: Error {}
        let app = ServiceApp("teardown")
        let seen = Locked<[String]>([])
        app.teardownRequest { error, request, _ in
            seen.withLock { $0.append("\(request.uri.path):\(error.map { "\(type(of: $0))" } ?? "none")") }
        }
        app.get("/ok") { _, _ in "fine" }
        app.get("/boom") { _, _ -> String in throw Boom() }
        let client = try app.testClient()
        _ = try await client.get("/ok")
        #expect(try await client.get("/boom").status == .internalServerError)
        #expect(try await client.get("/missing").status == .notFound)
        #expect(seen.withLock { $0 } == ["/ok:none", "/boom:Boom", "/missing:HTTPError"])
    }

    @Test func sessionPersistsThroughTheTestClientsCookieJar() async throws {
        var config = ServiceConfig()
        config["SECRET_KEY"] = "dev"
        config["SESSION_COOKIE_SAMESITE"] = "Lax"
        let app = ServiceApp("sessions", config: config)
        app.post("/visit") { _, context in
            let visits = (context.session["visits"]?.intValue ?? 0) + 1
            context.session["visits"] = .int(visits)
            return ["visits": visits]
        }
        app.post("/logout") { _, context in
            context.session.clear()
            return HTTPResponse.Status.noContent
        }
        app.get("/peek") { _, _ in "no change" }
        let client = try app.testClient()
        #expect(try await client.post("/visit").json() == ["visits": 1])
        let second = try await client.post("/visit")
        #expect(try second.json() == ["visits": 2])
        let cookie = try #require(second.header("set-cookie").first)
        #expect(cookie.contains("HttpOnly"))
        #expect(cookie.contains("Path=/"))
        #expect(cookie.contains("SameSite=Lax"))
        #expect(try await client.get("/peek").header("set-cookie").isEmpty, "an unmodified session sets no cookie")
        let logout = try await client.post("/logout")
        #expect(logout.header("set-cookie").first?.contains("Max-Age=0") == true)
        #expect(try await client.post("/visit").json() == ["visits": 1])

        client.setCookie("session", "forged.value.here")
        #expect(try await client.post("/visit").json() == ["visits": 1], "a forged cookie reads as an empty session")
    }

    @Test func permanentSessionsCarryExpiresFromTheLifetime() async throws {
        var config = ServiceConfig()
        config["SECRET_KEY"] = "dev"
        config["PERMANENT_SESSION_LIFETIME"] = 3600
        let app = ServiceApp("permanent", config: config)
        app.post("/login") { _, context in
            context.session.permanent = true
            context.session["user"] = "alice"
            return "ok"
        }
        let cookie = try #require(try await app.testClient().post("/login").header("set-cookie").first)
        let expires = try #require(cookie.split(separator: ";").first { $0.contains("Expires=") })
        let date = try #require(HTTPDateParser.parse(String(expires.split(separator: "=")[1])))
        #expect(abs(date.timeIntervalSinceNow - 3600) < 5)
    }

    @Test func sessionCacheExpiresAndEvicts() {
        let clock = Locked(0.0)
        let cache = SessionCache<String>(ttl: 10, capacity: 2, now: { clock.withLock { $0 } })
        cache.set("profile-a", for: "alice")
        clock.withLock { $0 = 5 }
        cache.set("profile-b", for: "bob")
        #expect(cache.value(for: "alice") == "profile-a")
        clock.withLock { $0 = 10 }
        #expect(cache.value(for: "alice") == nil, "expired at exactly ttl")
        #expect(cache.value(for: "bob") == "profile-b")
        cache.set("profile-c", for: "carol")
        cache.set("profile-d", for: "dave")
        #expect(cache.count == 2)
        #expect(cache.value(for: "bob") == nil, "the entry closest to expiry was evicted")
        #expect(cache.value(for: "dave") == "profile-d")
    }
}

/// Parses the cookie's Expires with the same fixed format ServiceKit writes.
enum HTTPDateParser {
    static func parse(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.date(from: text)
    }
}
