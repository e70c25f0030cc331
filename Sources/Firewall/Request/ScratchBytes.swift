/// A growable run of bytes owned by one parse, for the JSON scanner's path and output.
///
/// An array appended to a byte at a time checks that its storage is uniquely referenced on every append, and
/// appends a run of bytes through the general `append(contentsOf:)`: for a 2 KB JSON body, a fifth of
/// flattening it. This buffer has one owner (it is not copyable), so an append is a capacity check and a store.
struct ScratchBytes: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// The number of bytes written.
    private(set) var count = 0

    /// An empty buffer with room for `capacity` bytes.
    init(capacity: Int) {
        self.capacity = max(capacity, 16)
        self.base = UnsafeMutablePointer<UInt8>.allocate(capacity: self.capacity)
    }

    deinit {
        self.base.deallocate()
    }

    /// The bytes written, valid until the next append.
    var bytes: UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: self.base, count: self.count)
    }

    /// Appends one byte.
    @inline(__always)
    mutating func append(_ byte: UInt8) {
        if self.count == self.capacity { self.grow(toHold: self.count &+ 1) }
        self.base[self.count] = byte
        self.count &+= 1
    }

    /// Appends `bytes`, which must not point into this buffer (a grow would free them first).
    @inline(__always)
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        if self.count &+ bytes.count > self.capacity { self.grow(toHold: self.count &+ bytes.count) }
        (self.base + self.count).update(from: source, count: bytes.count)
        self.count &+= bytes.count
    }

    /// Cuts the bytes back to the first `count`.
    @inline(__always)
    mutating func truncate(to count: Int) {
        precondition(count >= 0 && count <= self.count, "a length beyond the bytes written")
        self.count = count
    }

    private mutating func grow(toHold needed: Int) {
        var capacity = self.capacity
        while capacity < needed { capacity = capacity > Int.max / 2 ? needed : capacity * 2 }
        let base = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        base.moveInitialize(from: self.base, count: self.count)
        self.base.deallocate()
        self.base = base
        self.capacity = capacity
    }
}
