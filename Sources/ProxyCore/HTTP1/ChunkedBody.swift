/// Where a chunked body stands, byte by byte through its framing and in bulk through its data.
struct ChunkedBody: Sendable {
    enum Phase: Sendable {
        case size, sizeExtension, sizeLF, data, dataCR, dataLF, trailerStart, trailerLine, trailerLF, finalLF, complete
    }

    private(set) var phase = Phase.size
    /// Data bytes left in the current chunk.
    private var remaining = 0
    private var digits = 0
    /// Bytes of chunk extensions and trailer fields so far, bounded so a backend cannot make the proxy scan forever.
    private var metadataBytes = 0
    /// Set when the framing is broken; scanning stops.
    private(set) var malformed: String?

    static let maxMetadataBytes = 64 * 1024

    var isComplete: Bool { self.phase == .complete }

    /// Scans `p`; stops at its end, at the end of the body, or (with `stopAtData`) where data bytes are next.
    /// Data bytes passed over are added to `dataBytes`. Returns the bytes scanned.
    mutating func scan(_ p: UnsafeRawBufferPointer, stopAtData: Bool, dataBytes: inout Int) -> Int {
        var index = 0
        while index < p.count {
            let byte = p[index]
            switch self.phase {
            case .size:
                if let value = Self.hexValue(byte) {
                    guard self.digits < 15 else { return self.fail("a chunk size is too large", at: index) }
                    self.remaining = self.remaining << 4 | value
                    self.digits += 1
                } else if self.digits == 0 {
                    return self.fail("a chunk does not start with its size in hex", at: index)
                } else if byte == 0x0D {
                    self.phase = .sizeLF
                } else if byte == 0x3B || byte == 0x20 || byte == 0x09 {
                    self.phase = .sizeExtension
                } else {
                    return self.fail("a chunk size is followed by an unexpected byte", at: index)
                }
                index += 1
            case .sizeExtension, .trailerLine:
                if byte == 0x0D {
                    self.phase = self.phase == .sizeExtension ? .sizeLF : .trailerLF
                } else if byte == 0x0A {
                    return self.fail("a chunk line ends with a bare LF", at: index)
                } else {
                    self.metadataBytes += 1
                    guard self.metadataBytes <= Self.maxMetadataBytes else {
                        return self.fail("chunk extensions or trailers are larger than \(Self.maxMetadataBytes) bytes", at: index)
                    }
                }
                index += 1
            case .sizeLF:
                guard byte == 0x0A else { return self.fail("a chunk size line does not end with CRLF", at: index) }
                self.phase = self.remaining == 0 ? .trailerStart : .data
                index += 1
            case .data:
                if stopAtData { return index }
                let count = min(self.remaining, p.count - index)
                self.remaining -= count
                dataBytes += count
                index += count
                if self.remaining == 0 { self.phase = .dataCR }
            case .dataCR, .dataLF:
                guard byte == (self.phase == .dataCR ? 0x0D : 0x0A) else { return self.fail("chunk data does not end with CRLF", at: index) }
                if self.phase == .dataCR {
                    self.phase = .dataLF
                } else {
                    self.phase = .size
                    self.digits = 0
                }
                index += 1
            case .trailerStart:
                if byte == 0x0D {
                    self.phase = .finalLF
                    index += 1
                } else {
                    self.phase = .trailerLine
                }
            case .trailerLF:
                guard byte == 0x0A else { return self.fail("a trailer field does not end with CRLF", at: index) }
                self.phase = .trailerStart
                index += 1
            case .finalLF:
                guard byte == 0x0A else { return self.fail("the chunked body does not end with CRLF", at: index) }
                self.phase = .complete
                return index + 1
            case .complete:
                return index
            }
        }
        return index
    }

    /// Takes up to `available` data bytes of the current chunk (when unwrapping); returns how many.
    mutating func takeData(upTo available: Int) -> Int {
        guard self.phase == .data else { return 0 }
        let count = min(self.remaining, available)
        self.remaining -= count
        if self.remaining == 0 { self.phase = .dataCR }
        return count
    }

    private mutating func fail(_ description: String, at index: Int) -> Int {
        self.malformed = description
        return index
    }

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case 0x30...0x39: return Int(byte - 0x30)
        case 0x41...0x46: return Int(byte - 0x41 + 10)
        case 0x61...0x66: return Int(byte - 0x61 + 10)
        default: return nil
        }
    }
}
