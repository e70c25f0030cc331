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

    /// Whether every byte at `range` is ASCII. Eight bytes at a step, through a pointer: a JSON body's paths are
    /// a thousand bytes and more, and a step per byte was a third of adding its fields to a view.
    func isASCII(_ range: Range<Int>) -> Bool {
        precondition(range.lowerBound >= 0 && range.upperBound <= self.bytes.count, "a range outside the buffer")
        return self.bytes.withUnsafeBufferPointer { bytes in
            guard let base = bytes.baseAddress else { return true }
            var index = range.lowerBound
            // A return in each loop: without one the compiler vectorizes the loops, and computing their trip
            // counts cost more than a short name's bytes.
            while index &+ 8 <= range.upperBound {
                guard UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 == 0 else { return false }
                index &+= 8
            }
            while index < range.upperBound {
                guard base[index] < 0x80 else { return false }
                index &+= 1
            }
            return true
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
