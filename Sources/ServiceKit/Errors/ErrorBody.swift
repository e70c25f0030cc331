/// The JSON body of every 4xx and 5xx response, from ServiceKit services and from the Rampart proxy alike:
/// `{"code": 404, "description": "...", "message": "404 Not Found: ..."}`.
///
/// It matches what the seed's `jsonify_errors` produces from Werkzeug exceptions, so clients see one error
/// shape everywhere. Rejections may add members (`rule_ids`, `retry_after`, ...) through ``extra``.
public struct ErrorBody: Sendable, Equatable {
    /// The HTTP status code.
    public var code: Int
    /// What went wrong, for a person.
    public var description: String
    /// Additional members, merged into the same JSON object.
    public var extra: [String: JSONValue]

    /// Creates the body for `code`, with Werkzeug's standard description unless one is given.
    public init(code: Int, description: String? = nil, extra: [String: JSONValue] = [:]) {
        self.code = code
        self.description = description ?? Self.standardDescription(for: code)
        self.extra = extra
    }

    /// `"404 Not Found: <description>"`, as Werkzeug's `str(HTTPException)`.
    public var message: String {
        "\(self.code) \(Self.reasonPhrase(for: self.code)): \(self.description)"
    }

    /// Werkzeug's name for a status (`HTTPResponse.Status(code:)` carries none).
    public static func reasonPhrase(for code: Int) -> String {
        switch code {
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 402: "Payment Required"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 406: "Not Acceptable"
        case 407: "Proxy Authentication Required"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 410: "Gone"
        case 411: "Length Required"
        case 412: "Precondition Failed"
        case 413: "Request Entity Too Large"
        case 414: "Request URI Too Long"
        case 415: "Unsupported Media Type"
        case 416: "Requested Range Not Satisfiable"
        case 417: "Expectation Failed"
        case 418: "I'm a teapot"
        case 421: "Misdirected Request"
        case 422: "Unprocessable Entity"
        case 423: "Locked"
        case 424: "Failed Dependency"
        case 425: "Too Early"
        case 426: "Upgrade Required"
        case 428: "Precondition Required"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 451: "Unavailable For Legal Reasons"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 505: "HTTP Version Not Supported"
        case 506: "Variant Also Negotiates"
        case 507: "Insufficient Storage"
        case 508: "Loop Detected"
        case 510: "Not Extended"
        case 511: "Network Authentication Failed"
        default: code >= 500 ? "Server Error" : "Client Error"
        }
    }

    /// The body as a JSON value.
    public var json: JSONValue {
        var members = self.extra
        members["code"] = .int(self.code)
        members["description"] = .string(self.description)
        members["message"] = .string(self.message)
        return .object(members)
    }

    /// The body as compact UTF-8 JSON, keys sorted.
    public func serialized() -> [UInt8] { self.json.serialized() }

    /// Werkzeug's description of a status, so bodies read the same as from Flask and Quart.
    public static func standardDescription(for code: Int) -> String {
        switch code {
        case 400: "The browser (or proxy) sent a request that this server could not understand."
        case 401:
            "The server could not verify that you are authorized to access the URL requested. You either supplied "
                + "the wrong credentials (e.g. a bad password), or your browser doesn't understand how to supply the "
                + "credentials required."
        case 403:
            "You don't have the permission to access the requested resource. It is either read-protected or not "
                + "readable by the server."
        case 404:
            "The requested URL was not found on the server. If you entered the URL manually please check your "
                + "spelling and try again."
        case 405: "The method is not allowed for the requested URL."
        case 406:
            "The resource identified by the request is only capable of generating response entities which have "
                + "content characteristics not acceptable according to the accept headers sent in the request."
        case 408:
            "The server closed the network connection because the browser didn't finish the request within the "
                + "specified time."
        case 409:
            "A conflict happened while processing the request. The resource might have been modified while the "
                + "request was being processed."
        case 410:
            "The requested URL is no longer available on this server and there is no forwarding address. If you "
                + "followed a link from a foreign page, please contact the author of this page."
        case 411: "A request with this method requires a valid Content-Length header."
        case 412: "The precondition on the request for the URL failed positive evaluation."
        case 413: "The data value transmitted exceeds the capacity limit."
        case 414: "The length of the requested URL exceeds the capacity limit for this server. The request cannot be processed."
        case 415: "The server does not support the media type transmitted in the request."
        case 416: "The server cannot provide the requested range."
        case 417: "The server could not meet the requirements of the Expect header"
        case 422: "The request was well-formed but was unable to be followed due to semantic errors."
        case 428: "This request is required to be conditional; try using \"If-Match\" or \"If-Unmodified-Since\"."
        case 429: "This user has exceeded an allotted request count. Try again later."
        case 431: "One or more header fields exceeds the maximum size."
        case 451: "The server is unable to process this request due to legal reasons."
        case 500:
            "The server encountered an internal error and was unable to complete your request. Either the server is "
                + "overloaded or there is an error in the application."
        case 501: "The server does not support the action requested by the browser."
        case 502: "The proxy server received an invalid response from an upstream server."
        case 503:
            "The server is temporarily unable to service your request due to maintenance downtime or capacity "
                + "problems. Please try again later."
        case 504: "The connection to an upstream server timed out."
        case 505: "The server does not support the HTTP protocol version used in the request."
        default: reasonPhrase(for: code)
        }
    }
}
