/// A request taken apart into the values rules select, once per evaluation.
///
/// Every value gets an index, so transformed forms can be cached per (value, transform chain). Body fields are
/// added when the body phase starts.
struct RequestView {
    /// The selectable values, in parallel arrays so the hot loop touches only what it needs.
    private(set) var collections: [TargetSelector.Collection] = []
    /// Member names as sent (empty for single-valued collections).
    private(set) var names: [String] = []
    /// Member names lower-cased, for selector comparison.
    private(set) var keys: [String] = []
    private(set) var values: [[UInt8]] = []
    /// Entry indices grouped by collection, in entry order within each: collection `c` (its
    /// ``TargetSelector/Collection/ordinal``) is `collectionStarts[c]..<collectionStarts[c + 1]`. One flat array
    /// built once the entries are known, instead of an array per collection grown entry by entry (a dozen
    /// reallocations for a plain GET).
    private var collectionOrder: [Int] = []
    private var collectionStarts = PerCollection(repeating: 0)
    /// How many collections there are (`allCases` builds an array each time it is asked).
    static let collectionCount = TargetSelector.Collection.allCases.count
    /// An integer per collection ordinal and one more, held inline: an array of a type other than bytes is
    /// allocated through the standard library's unspecialized code, which looks its metadata up at run time.
    /// A test checks that the size is `collectionCount + 1`.
    typealias PerCollection = InlineArray<15, Int>
    private(set) var hasBody = false

    var count: Int { self.values.count }

    /// Whether `value` is entry `entry`'s raw value itself (the same storage): a transform chain that changed
    /// nothing hands the raw array back.
    func isRawValue(_ value: [UInt8], of entry: Int) -> Bool {
        value.withUnsafeBufferPointer { a in
            self.values[entry].withUnsafeBufferPointer { b in a.baseAddress == b.baseAddress && a.count == b.count }
        }
    }

    /// The entries of the collection with ordinal `collection`, in entry order.
    func entries(in collection: Int) -> ArraySlice<Int> {
        self.collectionOrder[self.collectionStarts[collection]..<self.collectionStarts[collection + 1]]
    }

    /// Whether a request has been parsed into this view (the empty view stands in until one is needed).
    private(set) var isParsed = false

    /// An empty view.
    init() {}

    init(_ request: FirewallRequest) {
        self.isParsed = true
        // Room for the usual request up front: grown from empty, the five parallel arrays would reallocate
        // five or six times each, a third of a plain GET's allocations.
        let expected = 8 + request.headers.count * 2 + (request.uri.utf8.contains(UInt8(ascii: "?")) ? 16 : 0)
        self.reserve(expected)
        // The path and query are cut from the URI's bytes: copying a Substring's UTF-8 goes byte by byte.
        let uri = Array(request.uri.utf8)
        let mark = uri.firstIndex(of: UInt8(ascii: "?"))
        self.add(.method, Array(request.method.utf8))
        self.add(.uri, uri)
        self.add(.path, mark.map { Array(uri[..<$0]) } ?? uri)
        if let mark {
            let query = Array(uri[(mark + 1)...])
            self.add(.queryString, query)
            self.addFields(FormFields.urlEncoded(query))
        }
        for (name, value) in request.headers {
            let valueBytes = Array(value.utf8)
            self.addMember(.headers, names: .headerNames, name, nameBytes: Array(name.utf8), value: valueBytes)
            if name.utf8.count == 6, name.lowercased() == "cookie" {
                for (cookie, cookieValue) in FormFields.cookies(valueBytes) {
                    self.addMember(.cookies, names: .cookieNames, String(decoding: cookie, as: UTF8.self), nameBytes: cookie, value: cookieValue)
                }
            }
        }
        if !request.clientAddress.isEmpty { self.add(.clientAddress, Array(request.clientAddress.utf8)) }
        self.indexCollections()
    }

    /// Adds the raw body and the fields parsed from it according to its content type.
    mutating func addBody(of request: FirewallRequest) {
        guard !self.hasBody else { return }
        self.hasBody = true
        guard !request.body.isEmpty else { return }
        defer { self.indexCollections() }
        self.add(.body, request.body)
        let contentType = request.header("content-type")?.lowercased() ?? ""
        if contentType.hasPrefix("application/x-www-form-urlencoded") {
            self.addFields(FormFields.urlEncoded(request.body))
        } else if contentType.hasPrefix("multipart/form-data"), let boundary = FormFields.boundary(in: request.header("content-type") ?? "") {
            let parts = FormFields.multipart(request.body, boundary: boundary)
            self.addFields(parts.fields)
            for (name, filename) in parts.files {
                self.add(.files, name, key: name.lowercased(), filename)
            }
        } else if contentType.hasPrefix("application/json") || contentType.contains("+json") {
            self.addFields(JSONFields.flatten(request.body))
        } else {
            self.add(.unparsedBody, request.body)
        }
    }

    private mutating func reserve(_ count: Int) {
        self.collections.reserveCapacity(count)
        self.names.reserveCapacity(count)
        self.keys.reserveCapacity(count)
        self.values.reserveCapacity(count)
    }

    private mutating func addFields(_ fields: [(name: [UInt8], value: [UInt8])]) {
        self.reserve(self.values.count + fields.count * 2)
        for (nameBytes, value) in fields {
            self.addMember(.args, names: .argNames, String(decoding: nameBytes, as: UTF8.self), nameBytes: nameBytes, value: value)
        }
    }

    /// Groups the entries by collection (a counting sort), for ``entries(in:)``.
    private mutating func indexCollections() {
        var starts = PerCollection(repeating: 0)
        for collection in self.collections { starts[collection.ordinal + 1] += 1 }
        for ordinal in 0..<Self.collectionCount { starts[ordinal + 1] += starts[ordinal] }
        var order = [Int](repeating: 0, count: self.collections.count)
        // `starts` doubles as each collection's next free place, then is restored by shifting back.
        for (entry, collection) in self.collections.enumerated() {
            order[starts[collection.ordinal]] = entry
            starts[collection.ordinal] += 1
        }
        for ordinal in stride(from: Self.collectionCount, to: 0, by: -1) { starts[ordinal] = starts[ordinal - 1] }
        starts[0] = 0
        self.collectionOrder = order
        self.collectionStarts = starts
    }

    /// Adds a member's value and its name as two entries (`args` and `arg_names`, say), with one key for both.
    private mutating func addMember(
        _ collection: TargetSelector.Collection, names nameCollection: TargetSelector.Collection, _ name: String, nameBytes: [UInt8], value: [UInt8]
    ) {
        // A name without upper-case or non-ASCII bytes is its own key: `lowercased()` builds a new string each time.
        let key = nameBytes.contains { $0 >= 0x41 && ($0 <= 0x5A || $0 >= 0x80) } ? name.lowercased() : name
        self.add(collection, name, key: key, value)
        self.add(nameCollection, name, key: key, nameBytes)
    }

    /// Adds the value of a single-valued collection, which has no member names.
    private mutating func add(_ collection: TargetSelector.Collection, _ bytes: [UInt8]) {
        self.add(collection, "", key: "", bytes)
    }

    /// Adds an entry; `key` is `name` lower-cased, for selector comparison.
    private mutating func add(_ collection: TargetSelector.Collection, _ name: String, key: String, _ bytes: [UInt8]) {
        self.collections.append(collection)
        self.names.append(name)
        self.keys.append(key)
        self.values.append(bytes)
    }
}

extension TargetSelector.Collection {
    /// A distinct index below ``RequestView/collectionCount``, for array-indexed lookups.
    var ordinal: Int {
        switch self {
        case .method: 0
        case .uri: 1
        case .path: 2
        case .queryString: 3
        case .args: 4
        case .argNames: 5
        case .headers: 6
        case .headerNames: 7
        case .cookies: 8
        case .cookieNames: 9
        case .body: 10
        case .files: 11
        case .clientAddress: 12
        case .unparsedBody: 13
        }
    }
}
