/// Which parts of a request a rule looks at: a collection, optionally narrowed to one named member, or the
/// number of members (`count(headers:host)`).
///
/// Written in rule files as `args`, `headers:User-Agent`, `count(args)`; member names compare without regard to
/// case, as HTTP header names do.
public struct TargetSelector: Hashable, Sendable, CustomStringConvertible {
    /// A part of the request.
    public enum Collection: String, Sendable, CaseIterable {
        /// The method, e.g. `GET`.
        case method
        /// The request target as sent, path and query, undecoded.
        case uri
        /// The path of the request target, undecoded.
        case path
        /// The query string, without `?`, undecoded.
        case queryString = "query_string"
        /// Argument values: the query, then (in the body phase) urlencoded, multipart and JSON body fields.
        case args
        /// Argument names; JSON fields are named by their path (`user.tags.0`).
        case argNames = "arg_names"
        /// Header values.
        case headers
        /// Header names.
        case headerNames = "header_names"
        /// Cookie values.
        case cookies
        /// Cookie names.
        case cookieNames = "cookie_names"
        /// The raw body (body phase only).
        case body
        /// The raw body when it was not parsed into `args` (not urlencoded, multipart or JSON; XML or text, say),
        /// so rules can cover every body without scanning form bodies twice (body phase only).
        case unparsedBody = "unparsed_body"
        /// File names of multipart uploads (body phase only).
        case files
        /// The resolved client address.
        case clientAddress = "client_address"

        /// Collections whose members have names a selector may pick.
        var isKeyed: Bool {
            switch self {
            case .args, .argNames, .headers, .headerNames, .cookies, .cookieNames, .files: true
            default: false
            }
        }
    }

    /// The collection.
    public var collection: Collection
    /// The member's name, lower-cased; nil for the whole collection.
    public var name: String?
    /// Whether the selector yields the number of selected members instead of their values.
    public var count: Bool

    /// A selector for `collection`, or its member `name`.
    public init(_ collection: Collection, name: String? = nil, count: Bool = false) {
        self.collection = collection
        self.name = name?.lowercased()
        self.count = count
    }

    /// Parses the written form: `collection`, `collection:name`, `count(collection[:name])`.
    ///
    /// - Throws: a message saying what is wrong, for the loader to place at file:line:column.
    public init(parsing text: String) throws(TargetSelectorError) {
        var body = Substring(text)
        var count = false
        if body.hasPrefix("count("), body.hasSuffix(")") {
            count = true
            body = body.dropFirst("count(".count).dropLast()
        }
        let parts = body.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard let collection = Collection(rawValue: String(parts[0])) else {
            throw TargetSelectorError(text: text, reason: "unknown target \"\(parts[0])\"; expected one of: \(Collection.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var name: String?
        if parts.count == 2 {
            guard collection.isKeyed else { throw TargetSelectorError(text: text, reason: "\(collection.rawValue) has no named members") }
            guard !parts[1].isEmpty else { throw TargetSelectorError(text: text, reason: "the name after \":\" is empty") }
            name = String(parts[1])
        }
        self.init(collection, name: name, count: count)
    }

    /// The written form.
    public var description: String {
        let base = self.name.map { "\(self.collection.rawValue):\($0)" } ?? self.collection.rawValue
        return self.count ? "count(\(base))" : base
    }
}

/// A target that could not be parsed.
public struct TargetSelectorError: Error, Sendable, CustomStringConvertible {
    /// The text as written.
    public let text: String
    /// What is wrong.
    public let reason: String

    public var description: String { "invalid target \"\(self.text)\": \(self.reason)" }
}
