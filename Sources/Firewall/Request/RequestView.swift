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
    /// Each value: a slice of the buffer its phase's values were written into (``ValueBuffer``).
    private(set) var values: [ArraySlice<UInt8>] = []
    /// While a phase's entries are added: the buffer their bytes go into, and each one's range in it. The slices
    /// are cut once the phase's values are all written: a slice held earlier would make the next append copy the
    /// buffer.
    private var buffer = ValueBuffer()
    private var ranges: [Range<Int>] = []
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
    /// nothing hands the raw slice back.
    func isRawValue(_ value: ArraySlice<UInt8>, of entry: Int) -> Bool {
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
        // Room for the usual request up front: grown from empty, the parallel arrays would reallocate five or six
        // times each, a third of a plain GET's allocations. The buffer holds the head's bytes, and the query's
        // decoded fields at most once more.
        let hasQuery = request.uri.utf8.contains(UInt8(ascii: "?"))
        let expected = 8 + request.headers.count * 2 + (hasQuery ? 16 : 0)
        self.reserve(expected)
        var bytes = request.method.utf8.count + request.uri.utf8.count * (hasQuery ? 2 : 1) + request.clientAddress.utf8.count
        for (name, value) in request.headers { bytes += name.utf8.count + value.utf8.count }
        self.buffer = ValueBuffer(capacity: bytes)
        self.add(.method, self.buffer.append(request.method.utf8))
        let uri = self.buffer.append(request.uri.utf8)
        self.add(.uri, uri)
        if let mark = self.buffer[uri].firstIndex(of: UInt8(ascii: "?")) {
            self.add(.path, uri.lowerBound..<mark)
            self.add(.queryString, (mark + 1)..<uri.upperBound)
            self.addFields(FormFields.urlEncoded((mark + 1)..<uri.upperBound, in: &self.buffer))
        } else {
            self.add(.path, uri)
        }
        for (name, value) in request.headers {
            let nameRange = self.buffer.append(name.utf8)
            let valueRange = self.buffer.append(value.utf8)
            self.addMember(.headers, names: .headerNames, name, nameRange, valueRange)
            if name.utf8.count == 6, name.lowercased() == "cookie" {
                for (cookie, cookieValue) in FormFields.cookies(self.buffer[valueRange]) {
                    self.addMember(.cookies, names: .cookieNames, String(decoding: self.buffer[cookie], as: UTF8.self), cookie, cookieValue)
                }
            }
        }
        if !request.clientAddress.isEmpty { self.add(.clientAddress, self.buffer.append(request.clientAddress.utf8)) }
        self.finishPhase()
    }

    /// Adds the raw body and the fields parsed from it according to its content type.
    mutating func addBody(of request: FirewallRequest) {
        guard !self.hasBody else { return }
        self.hasBody = true
        guard !request.body.isEmpty else { return }
        defer { self.finishPhase() }
        // Fields are mostly ranges of the body's own bytes, and JSON paths are not much longer than the body.
        self.buffer = ValueBuffer(capacity: request.body.count * 2)
        let body = self.buffer.append(request.body)
        self.add(.body, body)
        let contentType = request.header("content-type")?.lowercased() ?? ""
        if contentType.hasPrefix("application/x-www-form-urlencoded") {
            self.addFields(FormFields.urlEncoded(body, in: &self.buffer))
        } else if contentType.hasPrefix("multipart/form-data"), let boundary = FormFields.boundary(in: request.header("content-type") ?? "") {
            let parts = FormFields.multipart(request.body[...], boundary: boundary)
            var fields: [FormFields.Field] = []
            for (name, value) in parts.fields { fields.append((self.buffer.append(name), self.buffer.append(value))) }
            self.addFields(fields)
            for (name, filename) in parts.files {
                self.add(.files, name, key: name.lowercased(), self.buffer.append(filename))
            }
        } else if contentType.hasPrefix("application/json") || contentType.contains("+json") {
            self.addFields(JSONFields.flatten(body, in: &self.buffer))
        } else {
            self.add(.unparsedBody, body)
        }
    }

    private mutating func reserve(_ count: Int) {
        self.collections.reserveCapacity(count)
        self.names.reserveCapacity(count)
        self.keys.reserveCapacity(count)
        self.values.reserveCapacity(count)
        self.ranges.reserveCapacity(count - self.values.count)
    }

    private mutating func addFields(_ fields: [FormFields.Field]) {
        self.reserve(self.values.count + self.ranges.count + fields.count * 2)
        for (name, value) in fields {
            self.addMember(.args, names: .argNames, String(decoding: self.buffer[name], as: UTF8.self), name, value)
        }
    }

    /// Cuts the phase's values from its buffer, and groups all entries by collection (a counting sort), for
    /// ``entries(in:)``.
    private mutating func finishPhase() {
        let buffer = self.buffer.bytes
        self.buffer = ValueBuffer()
        for range in self.ranges { self.values.append(buffer[range]) }
        self.ranges.removeAll()
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
        _ collection: TargetSelector.Collection, names nameCollection: TargetSelector.Collection, _ name: String, _ nameRange: Range<Int>,
        _ value: Range<Int>
    ) {
        // A name without upper-case or non-ASCII bytes is its own key: `lowercased()` builds a new string each time.
        let key = self.buffer[nameRange].contains { $0 >= 0x41 && ($0 <= 0x5A || $0 >= 0x80) } ? name.lowercased() : name
        self.add(collection, name, key: key, value)
        self.add(nameCollection, name, key: key, nameRange)
    }

    /// Adds the value of a single-valued collection, which has no member names.
    private mutating func add(_ collection: TargetSelector.Collection, _ range: Range<Int>) {
        self.add(collection, "", key: "", range)
    }

    /// Adds an entry whose value is `range` of the phase's buffer; `key` is `name` lower-cased, for selector
    /// comparison.
    private mutating func add(_ collection: TargetSelector.Collection, _ name: String, key: String, _ range: Range<Int>) {
        self.collections.append(collection)
        self.names.append(name)
        self.keys.append(key)
        self.ranges.append(range)
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
