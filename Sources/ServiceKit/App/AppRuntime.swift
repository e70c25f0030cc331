import Logging

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The frozen state of a built app that every request reads: made once by ``ServiceApp/buildResponder()``,
/// never changed afterwards, so requests share it without locks.
final class AppRuntime: Sendable {
    static let defaultConfig = ServiceConfig()

    let name: String
    let config: ServiceConfig
    let signals: AppSignals
    let hooks: HookSet
    let sessions: SessionSerializer?
    let templates: TemplateRenderer?
    let routesByName: [String: RoutePattern]
    let logger: Logger
    /// Config read on every request, resolved once so the hot path does no key lookups.
    let maxContentLength: Int?
    let jsonEncoder: JSONEncoder
    let jsonMimetype: String
    let sortsJSONKeys: Bool
    /// The fast ``JSONWriter`` writes compact JSON only; pretty-printing goes through `JSONEncoder`.
    let usesJSONWriter: Bool

    init(
        name: String,
        config: ServiceConfig,
        signals: AppSignals,
        hooks: HookSet,
        templates: TemplateRenderer?,
        routesByName: [String: RoutePattern],
        logger: Logger
    ) {
        self.name = name
        self.config = config
        self.signals = signals
        self.hooks = hooks
        self.sessions = config.secretKey.map {
            SessionSerializer(secretKey: $0, fallbackKeys: config.values(of: "SECRET_KEY_FALLBACKS"))
        }
        self.templates = templates
        self.routesByName = routesByName
        self.logger = logger
        self.maxContentLength = config.maxContentLength
        self.jsonEncoder = Self.makeEncoder(config)
        self.jsonMimetype = config.string("JSONIFY_MIMETYPE") ?? "application/json"
        self.sortsJSONKeys = config.jsonSortKeys
        self.usesJSONWriter = config.bool("JSONIFY_PRETTYPRINT_REGULAR") != true
    }

    /// The JSON encoder for `config`: keys sorted under `JSON_SORT_KEYS`, indented under
    /// `JSONIFY_PRETTYPRINT_REGULAR`, dates as ISO 8601.
    static func makeEncoder(_ config: ServiceConfig) -> JSONEncoder {
        let encoder = JSONEncoder()
        var formatting: JSONEncoder.OutputFormatting = [.withoutEscapingSlashes]
        if config.jsonSortKeys { formatting.insert(.sortedKeys) }
        if config.bool("JSONIFY_PRETTYPRINT_REGULAR") == true { formatting.insert(.prettyPrinted) }
        encoder.outputFormatting = formatting
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    /// Used by contexts that were not made by a built app (hand-made in tests).
    static let detached = AppRuntime(
        name: "detached", config: defaultConfig, signals: AppSignals(), hooks: HookSet(), templates: nil,
        routesByName: [:], logger: Logger(label: "ServiceKit")
    )

    /// The session stored in the request's cookie; `nil` when there is none or it does not verify.
    func loadSession(from cookieHeader: String?) -> Session? {
        guard let sessions = self.sessions, let cookieHeader,
            let value = Self.cookie(named: self.config.string("SESSION_COOKIE_NAME") ?? "session", in: cookieHeader),
            let values = sessions.decode(value, maxAge: self.config.permanentSessionLifetime)
        else { return nil }
        return Session(values)
    }

    /// The `Set-Cookie` value that stores `session`, or `nil` when the cookie need not change (Flask's
    /// `save_session`: only when modified, or on every request for a permanent session when
    /// `SESSION_REFRESH_EACH_REQUEST` is on).
    func sessionCookie(for session: Session, now: Date = Date()) -> String? {
        guard let sessions = self.sessions else { return nil }
        let config = self.config
        let name = config.string("SESSION_COOKIE_NAME") ?? "session"
        var attributes: [String] = []
        if let domain = config.string("SESSION_COOKIE_DOMAIN") { attributes.append("Domain=\(domain)") }
        if session.isEmpty {
            guard session.modified else { return nil }
            attributes.append("Expires=Thu, 01 Jan 1970 00:00:00 GMT")
            attributes.append("Max-Age=0")
        } else {
            let refresh = session.permanent && (config.bool("SESSION_REFRESH_EACH_REQUEST") ?? true)
            guard session.modified || refresh else { return nil }
            if session.permanent {
                attributes.append("Expires=\(HTTPDate.format(now.addingTimeInterval(config.permanentSessionLifetime)))")
            }
        }
        if config.bool("SESSION_COOKIE_SECURE") == true { attributes.append("Secure") }
        if config.bool("SESSION_COOKIE_HTTPONLY") ?? true { attributes.append("HttpOnly") }
        attributes.append("Path=\(config.string("SESSION_COOKIE_PATH") ?? config.string("APPLICATION_ROOT") ?? "/")")
        if let sameSite = config.string("SESSION_COOKIE_SAMESITE") { attributes.append("SameSite=\(sameSite)") }
        let value = session.isEmpty ? "" : sessions.encode(session.values, at: now)
        return ([name + "=" + value] + attributes).joined(separator: "; ")
    }

    /// The value of cookie `name` in a `Cookie` request header.
    static func cookie(named name: String, in header: String) -> String? {
        for pair in header.split(separator: ";") {
            let trimmed = pair.drop { $0 == " " }
            guard let equals = trimmed.firstIndex(of: "="), trimmed[..<equals] == name else { continue }
            var value = trimmed[trimmed.index(after: equals)...]
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = value.dropFirst().dropLast() }
            return String(value)
        }
        return nil
    }
}

extension ServiceConfig {
    /// The strings of a string-list key; empty when unset.
    func values(of key: String) -> [String] {
        if case .array(let items)? = self[key] { return items.compactMap(\.stringValue) }
        return []
    }
}
