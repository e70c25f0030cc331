/// What the firewall inspects: a request as it arrived, independent of any HTTP library.
public struct FirewallRequest: Sendable {
    /// A header field as ranges of a head's bytes (``init(method:uri:head:fields:clientAddress:)``).
    public typealias FieldRange = (name: Range<Int>, value: Range<Int>)

    /// The header fields: as strings, or as ranges of the head's bytes as they arrived. A proxy hands over the
    /// bytes it already holds: a string per name and value, validated as UTF-8 and destroyed one by one, was 4%
    /// of a proxied GET's instructions, and the firewall copies their bytes into its own buffer anyway.
    enum Fields: Sendable {
        case strings([(name: String, value: String)])
        case ranges(head: [UInt8], [FieldRange])
    }

    /// The method as sent.
    public var method: String
    /// The request target as sent (`/search?q=1`), undecoded.
    public var uri: String
    private(set) var fields: Fields
    /// The body, or its inspected prefix; empty in the headers phase.
    public var body: [UInt8]
    /// The resolved client address.
    public var clientAddress: String

    /// A request.
    public init(method: String, uri: String, headers: [(name: String, value: String)] = [], body: [UInt8] = [], clientAddress: String = "") {
        self.method = method
        self.uri = uri
        self.fields = .strings(headers)
        self.body = body
        self.clientAddress = clientAddress
    }

    /// A request whose header fields are `fields`, ranges of `head` (the bytes the head arrived as, say).
    public init(method: String, uri: String, head: [UInt8], fields: [FieldRange], clientAddress: String = "") {
        precondition(fields.allSatisfy { $0.name.upperBound <= head.count && $0.value.upperBound <= head.count }, "a field outside the head")
        self.method = method
        self.uri = uri
        self.fields = .ranges(head: head, fields)
        self.body = []
        self.clientAddress = clientAddress
    }

    /// Header fields in arrival order, names as sent.
    public var headers: [(name: String, value: String)] {
        get {
            switch self.fields {
            case .strings(let headers): headers
            case .ranges(let head, let fields): fields.map { (Self.string(head[$0.name]), Self.string(head[$0.value])) }
            }
        }
        set { self.fields = .strings(newValue) }
    }

    /// The path part of ``uri``.
    public var path: Substring {
        let target = Substring(self.uri)
        return target.firstIndex(of: "?").map { target[..<$0] } ?? target
    }

    /// The first value of header `name` (any case).
    public func header(_ name: String) -> String? {
        switch self.fields {
        case .strings(let headers):
            return headers.first { $0.name.utf8.count == name.utf8.count && $0.name.lowercased() == name.lowercased() }?.value
        case .ranges(let head, let fields):
            let lowered = Array(name.lowercased().utf8)
            return fields.first { Self.equalsIgnoringCase(head[$0.name], lowered) }.map { Self.string(head[$0.value]) }
        }
    }

    /// Whether `bytes` are `lowercase` (ASCII, lower case) in any case.
    static func equalsIgnoringCase(_ bytes: ArraySlice<UInt8>, _ lowercase: some Collection<UInt8>) -> Bool {
        bytes.count == lowercase.count && bytes.elementsEqual(lowercase) { AhoCorasick.fold($0) == $1 }
    }

    private static func string(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self)
    }
}
