/// The parsed `Authorization` header (Quart's `request.authorization`).
public enum Authorization: Sendable, Equatable {
    /// HTTP Basic: the decoded user name and password.
    case basic(username: String, password: String)
    /// A bearer token (RFC 6750).
    case bearer(token: String)
    /// Any other scheme, with its credentials as sent.
    case other(scheme: String, credentials: String)

    /// Parses a header value; `nil` when it is empty or malformed (bad base64, no `:` in Basic).
    public init?(header: String) {
        let trimmed = header.drop { $0 == " " }
        guard let space = trimmed.firstIndex(of: " ") else { return nil }
        let scheme = trimmed[..<space]
        let credentials = String(trimmed[space...].drop { $0 == " " })
        guard !credentials.isEmpty else { return nil }
        switch scheme.lowercased() {
        case "basic":
            guard let decoded = Base64URL.decode(credentials), let text = String(validating: decoded, as: UTF8.self),
                let colon = text.firstIndex(of: ":")
            else { return nil }
            self = .basic(username: String(text[..<colon]), password: String(text[text.index(after: colon)...]))
        case "bearer":
            self = .bearer(token: credentials)
        default:
            self = .other(scheme: String(scheme), credentials: credentials)
        }
    }

    /// The user name of Basic credentials (`request.authorization["username"]` in the seed).
    public var username: String? {
        if case .basic(let username, _) = self { username } else { nil }
    }
}
