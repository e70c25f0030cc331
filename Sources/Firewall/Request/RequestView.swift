/// A request taken apart into the values rules select, once per evaluation.
///
/// Every value gets an index, so transformed forms can be cached per (value, transform chain). Body fields are
/// added when the body phase starts.
struct RequestView {
    /// A selectable value: its collection, and where its member name (empty for single-valued collections) and
    /// its value are in its phase's bytes.
    ///
    /// Ranges instead of strings and slices: a `String` per member name was a third of building a JSON body's
    /// view, and an array of slices is destroyed element by element, a release each. One array of entries is
    /// one append per value.
    private struct Entry {
        let collection: TargetSelector.Collection
        let name: Range<Int>
        let value: Range<Int>
    }
    private var allEntries: [Entry] = []
    /// The bytes of the headers phase and of the body phase, which names and values are ranges of. Entries
    /// before `headEntryCount` are the head's.
    private var headBytes: [UInt8] = []
    private var bodyBytes: [UInt8] = []
    private var headEntryCount = 0
    /// Whether some member name has a byte outside ASCII, which lower-cases by Unicode rules rather than byte by
    /// byte (the Kelvin sign `K` becomes `k`).
    private var hasNonASCIIName = false
    /// While a phase's entries are added: the buffer their bytes go into.
    private var buffer = ValueBuffer()
    /// Entry indices grouped by collection, in entry order within each, after a prefix of where each group
    /// starts: collection `c` (its ``TargetSelector/Collection/ordinal``) is
    /// `collectionOrder[collectionOrder[c]..<collectionOrder[c + 1]]`. One flat array built once the entries are
    /// known, instead of an array per collection grown entry by entry (a dozen reallocations for a plain GET).
    /// The starts are in the same array, not inline: an inline array read from here was copied whole, twice for
    /// each collection looked up.
    private var collectionOrder = Self.emptyCollectionOrder
    /// ``collectionOrder``'s prefix: the starts of the collections and of the end.
    private static let orderPrefix = collectionCount + 1
    private static let emptyCollectionOrder = [Int](repeating: orderPrefix, count: orderPrefix)
    /// How many collections there are (`allCases` builds an array each time it is asked).
    static let collectionCount = TargetSelector.Collection.allCases.count
    /// An integer per collection ordinal and one more, held inline: an array of a type other than bytes is
    /// allocated through the standard library's unspecialized code, which looks its metadata up at run time.
    /// A test checks that the size is `collectionCount + 1`.
    typealias PerCollection = InlineArray<15, Int>
    private(set) var hasBody = false
    /// Per collection ordinal, the length of its longest value: length rules skip a collection with none long
    /// enough.
    private(set) var longestValue = PerCollection(repeating: 0)

    /// The number of entries.
    var count: Int { self.allEntries.count }

    /// Whether the collection with ordinal `collection` holds member names (`arg_names`, say) as its values.
    static func namesMembers(_ collection: Int) -> Bool {
        collection == TargetSelector.Collection.argNames.ordinal || collection == TargetSelector.Collection.headerNames.ordinal
            || collection == TargetSelector.Collection.cookieNames.ordinal
    }

    /// Entry `entry`'s collection.
    @inline(__always)
    func collection(of entry: Int) -> TargetSelector.Collection {
        self.allEntries[entry].collection
    }

    /// The bytes of entry `entry`'s phase, which its name and value are ranges of.
    @inline(__always)
    private func phaseBytes(of entry: Int) -> [UInt8] {
        entry < self.headEntryCount ? self.headBytes : self.bodyBytes
    }

    /// Entry `entry`'s raw value, a slice of its phase's bytes. Inlined: the evaluation holds the view `inout`,
    /// and a call would pass a copy of the whole view.
    @inline(__always)
    func value(_ entry: Int) -> ArraySlice<UInt8> {
        self.phaseBytes(of: entry)[self.allEntries[entry].value]
    }

    /// Calls `body` with the head's bytes and the body's, which raw values are ranges of
    /// (``value(_:head:body:)``).
    @inline(__always)
    func withPhaseBytes<Result>(_ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        self.headBytes.withUnsafeBufferPointer { head in
            self.bodyBytes.withUnsafeBufferPointer { bodyBytes in body(head, bodyBytes) }
        }
    }

    /// Entry `entry`'s raw value in `head` or `body`, the buffers ``withPhaseBytes(_:)`` lends.
    @inline(__always)
    func value(_ entry: Int, head: UnsafeBufferPointer<UInt8>, body: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: (entry < self.headEntryCount ? head : body)[self.allEntries[entry].value])
    }

    /// The length of entry `entry`'s raw value.
    @inline(__always)
    func valueCount(_ entry: Int) -> Int {
        self.allEntries[entry].value.count
    }

    /// Whether `value` is entry `entry`'s raw value itself (the same storage): a transform chain that changed
    /// nothing hands the raw slice back.
    @inline(__always)
    func isRawValue(_ value: ArraySlice<UInt8>, of entry: Int) -> Bool {
        let range = self.allEntries[entry].value
        return value.withUnsafeBufferPointer { a in
            self.phaseBytes(of: entry).withUnsafeBufferPointer { b in
                a.count == range.count && a.baseAddress == b.baseAddress.map { $0 + range.lowerBound }
            }
        }
    }

    /// The entries of the collection with ordinal `collection`, in entry order.
    func entries(in collection: Int) -> ArraySlice<Int> {
        self.collectionOrder[self.collectionOrder[collection]..<self.collectionOrder[collection + 1]]
    }

    /// Member name `entry` as sent, for reporting a match.
    func name(of entry: Int) -> String {
        String(decoding: self.nameBytes(of: entry), as: UTF8.self)
    }

    /// Whether member name `entry`, lower-cased, is `key` (a lower-cased selector name).
    ///
    /// `mutating` though it changes nothing: the evaluation holds the view `inout`, and a call to a non-mutating
    /// method of it passes a copy of the whole view (200 bytes), where a mutating one passes its address.
    mutating func name(of entry: Int, lowercasedIs key: String) -> Bool {
        let range = self.allEntries[entry].name
        guard !self.hasNonASCIIName else { return String(decoding: self.nameBytes(of: entry), as: UTF8.self).lowercased() == key }
        // Lower-casing ASCII keeps the length, so most names differ here.
        guard range.count == key.utf8.count else { return false }
        var key = key
        return key.withUTF8 { key in
            self.phaseBytes(of: entry).withUnsafeBufferPointer { bytes in
                var offset = 0
                while offset < key.count {
                    let byte = bytes[range.lowerBound &+ offset]
                    guard AhoCorasick.fold(byte) == key[offset] else { return false }
                    offset &+= 1
                }
                return true
            }
        }
    }

    private func nameBytes(of entry: Int) -> ArraySlice<UInt8> {
        self.phaseBytes(of: entry)[self.allEntries[entry].name]
    }

    /// Whether a request has been parsed into this view (the empty view stands in until one is needed).
    private(set) var isParsed = false

    /// An empty view.
    init() {}

    /// Forgets the request, keeping the arrays' capacity for the next one (``parse(_:)``): an evaluation that
    /// starts in a spent one's storage allocates none of them again.
    mutating func clear() {
        self.allEntries.removeAll(keepingCapacity: true)
        self.headBytes.removeAll(keepingCapacity: true)
        self.bodyBytes.removeAll(keepingCapacity: true)
        self.collectionOrder.removeAll(keepingCapacity: true)
        self.collectionOrder.append(contentsOf: repeatElement(Self.orderPrefix, count: Self.orderPrefix))
        self.headEntryCount = 0
        self.hasNonASCIIName = false
        self.hasBody = false
        self.longestValue = PerCollection(repeating: 0)
        self.isParsed = false
    }

    /// Takes `request`'s head apart into this view, which is empty (new, or cleared).
    mutating func parse(_ request: FirewallRequest) {
        precondition(!self.isParsed && self.allEntries.isEmpty, "a view is parsed once; clear it first")
        self.isParsed = true
        // Room for the usual request up front: grown from empty, the entries would reallocate five or six times,
        // a share of a plain GET's allocations. The buffer holds the head's bytes, and the query's
        // decoded fields at most once more.
        let hasQuery = request.uri.utf8.contains(UInt8(ascii: "?"))
        var bytes = request.method.utf8.count + request.uri.utf8.count * (hasQuery ? 2 : 1) + request.clientAddress.utf8.count
        let fieldCount: Int
        switch request.fields {
        case .strings(let headers):
            fieldCount = headers.count
            for (name, value) in headers { bytes += name.utf8.count + value.utf8.count }
        case .ranges(let head, let fields):
            fieldCount = fields.count
            bytes += head.count
        }
        self.reserve(8 + fieldCount * 2 + (hasQuery ? 16 : 0))
        // The last head's bytes (cleared) become this head's buffer, so their storage is used again.
        self.buffer = ValueBuffer(reusing: &self.headBytes, capacity: bytes)
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
        switch request.fields {
        case .strings(let headers):
            for (name, value) in headers { self.addHeader(self.buffer.append(name.utf8), self.buffer.append(value.utf8)) }
        case .ranges(let head, let fields):
            // The whole head in one copy, its fields read where they are in it.
            let start = self.buffer.append(head).lowerBound
            for (name, value) in fields { self.addHeader(name.shifted(by: start), value.shifted(by: start)) }
        }
        if !request.clientAddress.isEmpty { self.add(.clientAddress, self.buffer.append(request.clientAddress.utf8)) }
        self.finishPhase()
    }

    /// Adds a header field at `name` and `value` in the buffer, and the cookies of a Cookie field.
    private mutating func addHeader(_ name: Range<Int>, _ value: Range<Int>) {
        self.addMember(.headers, names: .headerNames, name, value)
        guard FirewallRequest.equalsIgnoringCase(self.buffer[name], "cookie".utf8) else { return }
        for (cookie, cookieValue) in FormFields.cookies(self.buffer[value]) {
            self.addMember(.cookies, names: .cookieNames, cookie, cookieValue)
        }
    }

    /// Adds the raw body and the fields parsed from it according to its content type.
    mutating func addBody(of request: FirewallRequest) {
        guard !self.hasBody else { return }
        self.hasBody = true
        guard !request.body.isEmpty else { return }
        defer { self.finishPhase() }
        // Fields are mostly ranges of the body's own bytes, and JSON paths are not much longer than the body.
        self.buffer = ValueBuffer(reusing: &self.bodyBytes, capacity: request.body.count * 2)
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
                let nameRange = self.buffer.append(name.utf8)
                self.noteNonASCII(nameRange)
                self.add(.files, name: nameRange, self.buffer.append(filename))
            }
        } else if contentType.hasPrefix("application/json") || contentType.contains("+json") {
            self.addFields(JSONFields.flatten(body, in: &self.buffer))
        } else {
            self.add(.unparsedBody, body)
        }
    }

    private mutating func reserve(_ count: Int) {
        self.allEntries.reserveCapacity(count)
    }

    private mutating func addFields(_ fields: [FormFields.Field]) {
        self.reserve(self.allEntries.count + fields.count * 2)
        for (name, value) in fields { self.addMember(.args, names: .argNames, name, value) }
    }

    /// Keeps the phase's bytes, and groups all entries by collection (a counting sort), for ``entries(in:)``.
    private mutating func finishPhase() {
        let buffer = self.buffer.bytes
        self.buffer = ValueBuffer()
        if self.hasBody {
            self.bodyBytes = buffer
        } else {
            self.headBytes = buffer
            self.headEntryCount = self.allEntries.count
        }
        var starts = PerCollection(repeating: 0)
        for entry in self.allEntries { starts[entry.collection.ordinal + 1] += 1 }
        for ordinal in 0..<Self.collectionCount { starts[ordinal + 1] += starts[ordinal] }
        var order: [Int] = []
        swap(&order, &self.collectionOrder)
        let prefix = Self.orderPrefix
        order.removeAll(keepingCapacity: true)
        order.append(contentsOf: repeatElement(0, count: prefix + self.allEntries.count))
        // `starts` doubles as each collection's next free place; once every entry is placed, collection `c`'s
        // holds where collection `c + 1` starts. Written through a pointer: the array's subscript checked its
        // storage's uniqueness for every entry.
        order.withUnsafeMutableBufferPointer { order in
            self.allEntries.withUnsafeBufferPointer { entries in
                for index in entries.indices {
                    let ordinal = entries[index].collection.ordinal
                    order[prefix &+ starts[ordinal]] = index
                    starts[ordinal] &+= 1
                }
            }
            order[0] = prefix
            for ordinal in 1..<prefix { order[ordinal] = prefix &+ starts[ordinal &- 1] }
        }
        self.collectionOrder = order
    }

    /// Adds a member's value and its name as two entries (`args` and `arg_names`, say).
    private mutating func addMember(
        _ collection: TargetSelector.Collection, names nameCollection: TargetSelector.Collection, _ name: Range<Int>, _ value: Range<Int>
    ) {
        self.noteNonASCII(name)
        self.add(collection, name: name, value)
        self.add(nameCollection, name: name, name)
    }

    /// Adds an entry whose name and value are ranges of the phase's buffer.
    private mutating func add(_ collection: TargetSelector.Collection, name: Range<Int>, _ range: Range<Int>) {
        self.longestValue[collection.ordinal] = max(self.longestValue[collection.ordinal], range.count)
        self.allEntries.append(Entry(collection: collection, name: name, value: range))
    }

    private mutating func noteNonASCII(_ name: Range<Int>) {
        guard !self.hasNonASCIIName else { return }
        self.hasNonASCIIName = !self.buffer.isASCII(name)
    }

    /// Adds the value of a single-valued collection, which has no member names.
    private mutating func add(_ collection: TargetSelector.Collection, _ range: Range<Int>) {
        self.add(collection, name: 0..<0, range)
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

extension Range<Int> {
    /// The range moved `offset` places on.
    fileprivate func shifted(by offset: Int) -> Range<Int> {
        (self.lowerBound + offset)..<(self.upperBound + offset)
    }
}
