/// The bytes of one phase's request values, written one after another: each value is a range of it.
///
/// A request carries hundreds of names and values (a 2 KB JSON body has a hundred and fifty), and an array
/// each was most of an evaluation's allocations. Values that appear in the request as they are (a query
/// field without escapes, a JSON string without them, a cookie) are ranges of the bytes already copied in,
/// so only decoded values add bytes.
struct ValueBuffer {
    /// The bytes written so far.
    private(set) var bytes: [UInt8] = []

    /// An empty buffer.
    init() {}

    /// An empty buffer in `storage`'s memory (left empty), with room for `capacity` bytes.
    init(reusing storage: inout [UInt8], capacity: Int) {
        swap(&self.bytes, &storage)
        self.bytes.removeAll(keepingCapacity: true)
        self.bytes.reserveCapacity(capacity)
    }

    /// The number of bytes written.
    var count: Int { self.bytes.count }

    /// The byte at `index`.
    subscript(index: Int) -> UInt8 { self.bytes[index] }

    /// The bytes at `range`, without a copy.
    subscript(range: Range<Int>) -> ArraySlice<UInt8> { self.bytes[range] }

    /// The first index in `start..<end` whose byte satisfies `predicate`, or `end`. Read through a pointer,
    /// without the array's checked subscript per byte and without a slice (whose copy retains the storage).
    @inline(__always)
    func firstIndex(from start: Int, before end: Int, where predicate: (UInt8) -> Bool) -> Int {
        precondition(start >= 0 && end <= self.bytes.count, "a range outside the buffer")
        return self.bytes.withUnsafeBufferPointer { bytes in
            var index = start
            while index < end, !predicate(bytes[index]) { index &+= 1 }
            return index
        }
    }

    /// Appends `bytes` and returns their range.
    @discardableResult
    mutating func append(_ bytes: some Collection<UInt8>) -> Range<Int> {
        let start = self.bytes.count
        // From a buffer, one copy: a string's UTF-8 view appended as a collection goes through its generic copy.
        if bytes.withContiguousStorageIfAvailable({ self.bytes.append(contentsOf: $0) }) == nil {
            self.bytes.append(contentsOf: bytes)
        }
        return start..<self.bytes.count
    }

    /// Appends one byte.
    mutating func append(byte: UInt8) {
        self.bytes.append(byte)
    }
}
