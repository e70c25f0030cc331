import Foundation
import ServiceKit
import Testing

@Suite("Configuration")
struct ConfigTests {
    func write(_ name: String, _ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cfg-\(UUID().uuidString)-\(name)").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func quartDefaults() {
        let config = ServiceConfig()
        #expect(config.debug == false)
        #expect(config.testing == false)
        #expect(config.secretKey == nil)
        #expect(config.maxContentLength == 16 * 1024 * 1024)
        #expect(config.permanentSessionLifetime == 31 * 24 * 3600)
        #expect(config.string("SESSION_COOKIE_NAME") == "session")
        #expect(config.bool("SESSION_COOKIE_HTTPONLY") == true)
        #expect(config.jsonSortKeys == true)
        #expect(config["SESSION_COOKIE_SAMESITE"] == .null)
    }

    /// The seed's three equivalent sources, plus TOML and the environment; later sources win.
    @Test func sourcesLoadInOrderAndLaterOnesOverride() throws {
        struct ProdSettings: Encodable {
            var DEBUG = false
            var SQLURI = "postgres://username:xxx@localhost/db"
        }
        var config = ServiceConfig()
        try config.load(object: ProdSettings())
        #expect(config.string("SQLURI") == "postgres://username:xxx@localhost/db")

        try config.load(file: try self.write("prod.json", #"{"DEBUG": false, "SQLURI": "postgres://json/db", "WORKERS": 2}"#))
        #expect(config.string("SQLURI") == "postgres://json/db")

        try config.load(file: try self.write("prod.yml", "---\nDEBUG: False\nSQLURI: \"postgres://yaml/db\"\nPORT: \"8080\"\n"))
        #expect(config.string("SQLURI") == "postgres://yaml/db")
        #expect(config["PORT"] == "8080", "a quoted YAML scalar stays a string")

        try config.load(file: try self.write("prod.toml", "SQLURI = \"postgres://toml/db\"\nMAX_CONTENT_LENGTH = 1024\n[pool]\nsize = 4\n"))
        #expect(config.string("SQLURI") == "postgres://toml/db")
        #expect(config.maxContentLength == 1024)
        #expect(config["pool"] == ["size": 4])

        try config.loadEnvironment(prefix: "TEAMS", environment: [
            "TEAMS_DEBUG": "true", "TEAMS_SECRET_KEY": "12345", "TEAMS_RATIO": "0.5", "TEAMS_NAME": "not json", "OTHER_X": "1",
        ])
        #expect(config.debug == true)
        #expect(config.secretKey == "12345", "a string key keeps digits as text")
        #expect(config["RATIO"] == 0.5)
        #expect(config["NAME"] == "not json")
        #expect(config["X"] == nil)
        #expect(config.int("WORKERS") == 2)
    }

    @Test func wrongTypeFailsNamingFileKeyAndExpectedType() throws {
        let path = try self.write("bad.yaml", "DEBUG: false\nMAX_CONTENT_LENGTH: big\n")
        var config = ServiceConfig()
        let error = try #require(throws: ConfigError.self) { try config.load(file: path) }
        #expect(error.source == path)
        #expect(error.key == "MAX_CONTENT_LENGTH")
        #expect(error.line == 2)
        #expect(error.description == "\(path):2: MAX_CONTENT_LENGTH: expected an integer or null, found string \"big\"")
        #expect(config.maxContentLength == 16 * 1024 * 1024, "nothing from a bad file is applied")

        let envError = try #require(throws: ConfigError.self) {
            try config.loadEnvironment(prefix: "APP_", environment: ["APP_DEBUG": "yes please"])
        }
        #expect(envError.description.contains("DEBUG: expected a boolean (true or false), found string"))
        #expect(envError.source == "environment (APP_*)")
    }

    @Test func malformedAndMissingFilesFailWithTheirPath() throws {
        var config = ServiceConfig()
        for (name, text) in [("broken.json", "{\"DEBUG\": tru"), ("broken.yaml", "DEBUG: [unclosed"), ("broken.toml", "DEBUG = = 1"),
                             ("list.json", "[1, 2]"), ("settings.ini", "DEBUG=1")] {
            let path = try self.write(name, text)
            let error = try #require(throws: ConfigError.self, "\(name)") { try config.load(file: path) }
            #expect(error.source == path)
        }
        #expect(throws: ConfigError.self) { try config.load(file: "/nonexistent/settings.json") }
    }

    @Test func extensionsDeclareTypedKeys() throws {
        var config = ServiceConfig()
        config.declare("REPORT_SIGNING_KEY", type: .string, default: "dev")
        #expect(config.string("REPORT_SIGNING_KEY") == "dev")
        #expect(throws: ConfigError.self) { try config.merge(["REPORT_SIGNING_KEY": 42]) }
        try config.merge(["REPORT_SIGNING_KEY": "prod"])
        #expect(config.string("REPORT_SIGNING_KEY") == "prod")
    }
}
