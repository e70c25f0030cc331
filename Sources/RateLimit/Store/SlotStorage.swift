#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The slots of one ``BucketTable``, placed so the kernel can back a large table with 2 MiB pages.
///
/// With a million keys, each decision reads one slot at a random place in about 100 MB. With 4 KiB pages that
/// read also misses the TLB, and the page walk is another trip to memory: on the project's benchmark machine a
/// random read took about 200 ns on 4 KiB pages and 160-170 ns on 2 MiB pages (BENCHMARKS.md, "Rate limiting").
/// A table of at least one huge page is therefore allocated aligned to one, in whole huge pages, and advised
/// for them (`MADV_HUGEPAGE`, which works whether the system's transparent huge pages are set to `always` or to
/// `madvise`). Smaller tables come from the ordinary allocator.
final class SlotStorage {
    /// The slots, all initialized.
    let slots: UnsafeMutableBufferPointer<BucketTable.Entry>
    /// Whether `slots` came from `posix_memalign` (freed with `free`) rather than `allocate`.
    private let hugePageAligned: Bool

    /// The size and alignment of a transparent huge page on x86-64 and most arm64 kernels.
    static let hugePageBytes = 2 << 20

    /// `count` slots, each set to `empty`.
    init(count: Int, filledWith empty: BucketTable.Entry) {
        (self.slots, self.hugePageAligned) = Self.allocate(count)
        self.slots.initialize(repeating: empty)
    }

    /// A storage holding the same entries, for a table that is written while another copy shares this one.
    func copy() -> SlotStorage {
        SlotStorage(copying: self.slots)
    }

    private init(copying source: UnsafeMutableBufferPointer<BucketTable.Entry>) {
        (self.slots, self.hugePageAligned) = Self.allocate(source.count)
        _ = self.slots.initialize(fromContentsOf: source)
    }

    /// Calls `body` with every occupied slot's entry (hash not 0), in slot order.
    func forEachOccupied(_ body: (BucketTable.Entry) -> Void) {
        for entry in self.slots where entry.key.hash != 0 { body(entry) }
    }

    private static func allocate(_ count: Int) -> (UnsafeMutableBufferPointer<BucketTable.Entry>, Bool) {
        let bytes = count * MemoryLayout<BucketTable.Entry>.stride
        guard bytes >= Self.hugePageBytes else { return (.allocate(capacity: count), false) }
        let rounded = (bytes + Self.hugePageBytes - 1) / Self.hugePageBytes * Self.hugePageBytes
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, Self.hugePageBytes, rounded) == 0, let raw else { return (.allocate(capacity: count), false) }
        #if os(Linux)
        // Only advice: where huge pages are off or exhausted, the table works on ordinary pages.
        _ = madvise(raw, rounded, MADV_HUGEPAGE)
        #endif
        return (UnsafeMutableBufferPointer(start: raw.bindMemory(to: BucketTable.Entry.self, capacity: count), count: count), true)
    }

    deinit {
        _ = self.slots.deinitialize()
        if self.hugePageAligned {
            free(self.slots.baseAddress)
        } else {
            self.slots.deallocate()
        }
    }
}
