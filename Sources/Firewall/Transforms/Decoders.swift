/// The byte-level decoders behind ``Transform``.
enum Decoders {
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }

    /// Reads `count` hex digits at `index`.
    static func hex<Bytes: RandomAccessCollection<UInt8>>(_ input: Bytes, at index: Int, count: Int) -> Int? where Bytes.Index == Int {
        guard index + count <= input.endIndex else { return nil }
        var value = 0
        for offset in 0..<count {
            guard let digit = hexValue(input[index + offset]) else { return nil }
            value = value << 4 | Int(digit)
        }
        return value
    }

    /// A `\u`/`%u` code point as one byte: full-width ASCII (U+FF01–U+FF5E) folds to ASCII, others keep the low byte.
    static func unicodeByte(_ codePoint: Int) -> UInt8 {
        if codePoint >= 0xFF01 && codePoint <= 0xFF5E { return UInt8(codePoint - 0xFF01 + 0x21) }
        return UInt8(truncatingIfNeeded: codePoint)
    }

    /// Whether ``url(_:)`` would change `input`: callers keep (or copy) the bytes as they are otherwise, instead of
    /// rebuilding them byte by byte.
    static func hasURLEscapes<Bytes: Collection<UInt8>>(_ input: Bytes) -> Bool {
        input.contains { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }
    }

    /// Percent-decoding with `+` as space (and `%uXXXX`), of an array or of a slice of one (a form field).
    static func url<Bytes: RandomAccessCollection<UInt8>>(_ input: Bytes) -> [UInt8] where Bytes.Index == Int {
        var output: [UInt8] = []
        output.reserveCapacity(input.count)
        var index = input.startIndex
        while index < input.endIndex {
            let byte = input[index]
            if byte == UInt8(ascii: "+") {
                output.append(0x20)
                index += 1
            } else if byte == UInt8(ascii: "%") {
                if index + 1 < input.endIndex, input[index + 1] | 0x20 == UInt8(ascii: "u"), let code = hex(input, at: index + 2, count: 4) {
                    output.append(unicodeByte(code))
                    index += 6
                } else if let value = hex(input, at: index + 1, count: 2) {
                    output.append(UInt8(value))
                    index += 3
                } else {
                    output.append(byte)
                    index += 1
                }
            } else {
                output.append(byte)
                index += 1
            }
        }
        return output
    }

    /// The named entities decoded, lower-case; names are matched without regard to ASCII case.
    private static let entities: [(name: [UInt8], byte: UInt8)] = [
        ("quot", 0x22), ("amp", 0x26), ("lt", 0x3C), ("gt", 0x3E), ("nbsp", 0xA0), ("apos", 0x27), ("sol", 0x2F), ("bsol", 0x5C),
        ("lpar", 0x28), ("rpar", 0x29), ("colon", 0x3A), ("semi", 0x3B), ("equals", 0x3D), ("grave", 0x60), ("tab", 0x09),
        ("newline", 0x0A),
    ].map { (Array($0.0.utf8), $0.1) }

    static func htmlEntities(_ input: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(input.count)
        var index = 0
        while index < input.count {
            guard input[index] == UInt8(ascii: "&"), let (decoded, end) = Self.entity(at: index, in: input) else {
                output.append(input[index])
                index += 1
                continue
            }
            output.append(decoded)
            index = end
        }
        return output
    }

    /// Whether ``htmlEntities(_:)`` would change `input`: whether an entity starts at one of its `&`s. Most
    /// values with an `&` have none (a query string's separators), and are then not copied at all.
    static func hasHTMLEntities(_ input: ArraySlice<UInt8>) -> Bool {
        var index = input.startIndex
        while let ampersand = input[index...].firstIndex(of: UInt8(ascii: "&")) {
            if Self.entity(at: ampersand, in: input) != nil { return true }
            index = ampersand + 1
        }
        return false
    }

    /// The entity at `index` of `input`, which holds an `&` there: the byte it stands for, and where the
    /// entity ends (after its `;` when it has one); nil when none starts there. Numeric entities (`&#65;`,
    /// `&#x41;`) take up to eight digits; named ones, up to eight letters.
    private static func entity<Bytes: RandomAccessCollection<UInt8>>(at index: Int, in input: Bytes) -> (byte: UInt8, end: Int)?
    where Bytes.Index == Int {
        var cursor = index + 1
        guard cursor < input.endIndex else { return nil }
        var decoded: UInt8?
        if input[cursor] == UInt8(ascii: "#") {
            cursor += 1
            let isHex = cursor < input.endIndex && input[cursor] | 0x20 == UInt8(ascii: "x")
            if isHex { cursor += 1 }
            var value = 0
            let start = cursor
            while cursor < input.endIndex, cursor - start < 8 {
                if isHex, let digit = hexValue(input[cursor]) {
                    value = value * 16 + Int(digit)
                } else if !isHex, input[cursor] >= 0x30, input[cursor] <= 0x39 {
                    value = value * 10 + Int(input[cursor] - 0x30)
                } else {
                    break
                }
                cursor += 1
            }
            if cursor > start { decoded = unicodeByte(value) }
        } else {
            let start = cursor
            while cursor < input.endIndex, cursor - start < 8,
                (input[cursor] | 0x20) >= UInt8(ascii: "a"), (input[cursor] | 0x20) <= UInt8(ascii: "z")
            {
                cursor += 1
            }
            let letters = input[start..<cursor]
            decoded = Self.entities.first { $0.name.count == letters.count && letters.elementsEqual($0.name) { $0 | 0x20 == $1 } }?.byte
        }
        guard let decoded else { return nil }
        return (decoded, cursor < input.endIndex && input[cursor] == UInt8(ascii: ";") ? cursor + 1 : cursor)
    }

    static func javaScript(_ input: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(input.count)
        var index = 0
        while index < input.count {
            guard input[index] == UInt8(ascii: "\\"), index + 1 < input.count else {
                output.append(input[index])
                index += 1
                continue
            }
            let next = input[index + 1]
            switch next {
            case UInt8(ascii: "u"):
                if let code = hex(input, at: index + 2, count: 4) {
                    output.append(unicodeByte(code))
                    index += 6
                    continue
                }
            case UInt8(ascii: "x"):
                if let value = hex(input, at: index + 2, count: 2) {
                    output.append(UInt8(value))
                    index += 4
                    continue
                }
            case 0x30...0x37:
                var value = 0
                var cursor = index + 1
                while cursor < input.count, cursor - index <= 3, input[cursor] >= 0x30, input[cursor] <= 0x37, value * 8 + Int(input[cursor] - 0x30) <= 0xFF {
                    value = value * 8 + Int(input[cursor] - 0x30)
                    cursor += 1
                }
                output.append(UInt8(value))
                index = cursor
                continue
            default:
                break
            }
            let simple: [UInt8: UInt8] = [
                UInt8(ascii: "a"): 0x07, UInt8(ascii: "b"): 0x08, UInt8(ascii: "f"): 0x0C, UInt8(ascii: "n"): 0x0A,
                UInt8(ascii: "r"): 0x0D, UInt8(ascii: "t"): 0x09, UInt8(ascii: "v"): 0x0B,
            ]
            output.append(simple[next] ?? next)
            index += 2
        }
        return output
    }

    static func css(_ input: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(input.count)
        var index = 0
        while index < input.count {
            guard input[index] == UInt8(ascii: "\\") else {
                output.append(input[index])
                index += 1
                continue
            }
            var cursor = index + 1
            var value = 0
            while cursor < input.count, cursor - index <= 6, let digit = hexValue(input[cursor]) {
                value = value * 16 + Int(digit)
                cursor += 1
            }
            if cursor > index + 1 {
                output.append(unicodeByte(value))
                if cursor < input.count, [0x20, 0x09, 0x0A, 0x0C, 0x0D].contains(input[cursor]) { cursor += 1 }
                index = cursor
            } else if cursor < input.count, input[cursor] == 0x0A {
                index = cursor + 1
            } else if cursor < input.count {
                output.append(input[cursor])
                index = cursor + 1
            } else {
                index = cursor
            }
        }
        return output
    }

    /// Standard or URL-safe base64, padding, spaces and line breaks ignored; nil when `input` holds another byte.
    static func base64(_ input: ArraySlice<UInt8>, reusing storage: inout [UInt8]) -> [UInt8]? {
        // The table is taken once: each read of a `static let` checks that it was initialized.
        let values = Self.base64Values
        var valid = true
        // Decoded in place: each output byte is written behind the sextets it came from. A byte that is not base64
        // stops it, and the copy is discarded.
        let output = Self.rewrittenInPlace(input, reusing: &storage) { bytes in
            var accumulator: UInt32 = 0
            var bits = 0
            var length = 0
            var index = 0
            while index < bytes.count {
                // Four sextets at a time while no bits are pending and none of the four is skipped or invalid:
                // three bytes, without a test per byte.
                if bits == 0, index &+ 4 <= bytes.count {
                    let (a, b) = (values[Int(bytes[index])], values[Int(bytes[index &+ 1])])
                    let (c, d) = (values[Int(bytes[index &+ 2])], values[Int(bytes[index &+ 3])])
                    if a | b | c | d < 64 {
                        let quad = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                        bytes[length] = UInt8(truncatingIfNeeded: quad >> 16)
                        bytes[length &+ 1] = UInt8(truncatingIfNeeded: quad >> 8)
                        bytes[length &+ 2] = UInt8(truncatingIfNeeded: quad)
                        length &+= 3
                        index &+= 4
                        continue
                    }
                }
                let value = values[Int(bytes[index])]
                index &+= 1
                guard value < 64 else {
                    guard value == Self.base64Skipped else {
                        valid = false
                        return 0
                    }
                    continue
                }
                accumulator = accumulator << 6 | UInt32(value)
                bits &+= 6
                if bits >= 8 {
                    bits &-= 8
                    bytes[length] = UInt8(truncatingIfNeeded: accumulator >> UInt32(bits))
                    length &+= 1
                }
            }
            return length
        }
        return valid ? output : nil
    }

    /// Whether `byte` is base64 (either alphabet), padding, a space or a line break: what ``base64(_:)`` accepts.
    static func isBase64(_ byte: UInt8) -> Bool {
        Self.base64Values[Int(byte)] != Self.base64Invalid
    }

    /// Per byte, its base64 value (both alphabets: `+` and `-` are 62, `/` and `_` are 63), or
    /// ``base64Skipped`` for padding, spaces and line breaks, or ``base64Invalid``.
    private static let base64Values: [UInt8] = (0...255).map { byte in
        switch UInt8(byte) {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): UInt8(byte) - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): UInt8(byte) - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt8(byte) - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"), UInt8(ascii: "-"): 62
        case UInt8(ascii: "/"), UInt8(ascii: "_"): 63
        case UInt8(ascii: "="), 0x0A, 0x0D, 0x20: Self.base64Skipped
        default: Self.base64Invalid
        }
    }
    private static let base64Skipped: UInt8 = 0xFE
    private static let base64Invalid: UInt8 = 0xFF

    static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (byte >= 0x09 && byte <= 0x0D) || byte == 0xA0
    }

    /// Whether ``compressWhitespace(_:)`` would change `input`: a whitespace byte other than a space, or two spaces.
    static func hasWhitespaceToCompress(_ input: ArraySlice<UInt8>) -> Bool {
        var previousSpace = false
        for byte in input {
            if byte == 0x20 {
                if previousSpace { return true }
                previousSpace = true
            } else {
                if isSpace(byte) { return true }
                previousSpace = false
            }
        }
        return false
    }

    static func compressWhitespace(_ input: ArraySlice<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(input.count)
        for byte in input {
            if isSpace(byte) {
                if output.last != 0x20 { output.append(0x20) }
            } else {
                output.append(byte)
            }
        }
        return output
    }

    /// Whether ``normalizePath(_:)`` certainly leaves `input` as it is: no backslash, no `//`, and no segment
    /// starting with a dot (conservative: `/.well-known` is normalized anyway, to the same bytes).
    static func isNormalPath(_ input: ArraySlice<UInt8>) -> Bool {
        var previous: UInt8?
        for byte in input {
            if byte == UInt8(ascii: "\\") { return false }
            if byte == UInt8(ascii: "/") && previous == UInt8(ascii: "/") { return false }
            if byte == UInt8(ascii: ".") && (previous == nil || previous == UInt8(ascii: "/")) { return false }
            previous = byte
        }
        return true
    }

    static func normalizePath(_ input: ArraySlice<UInt8>) -> [UInt8] {
        let slashed = input.map { $0 == UInt8(ascii: "\\") ? UInt8(ascii: "/") : $0 }
        let absolute = slashed.first == UInt8(ascii: "/")
        let trailing = slashed.count > 1 && slashed.last == UInt8(ascii: "/")
        var segments: [ArraySlice<UInt8>] = []
        for segment in slashed.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true) {
            if segment.elementsEqual([UInt8(ascii: ".")]) { continue }
            if segment.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")]) {
                if let last = segments.last, !last.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")]) {
                    segments.removeLast()
                } else if !absolute {
                    segments.append(segment)
                }
                continue
            }
            segments.append(segment)
        }
        var output: [UInt8] = absolute ? [UInt8(ascii: "/")] : []
        for (offset, segment) in segments.enumerated() {
            if offset > 0 { output.append(UInt8(ascii: "/")) }
            output.append(contentsOf: segment)
        }
        if trailing, !segments.isEmpty { output.append(UInt8(ascii: "/")) }
        return output
    }

    static func cmdLine(_ input: ArraySlice<UInt8>, reusing storage: inout [UInt8]) -> [UInt8] {
        // Rewritten in place with a cursor: the output never outgrows the input, and the checks of `append` and
        // `last` on every byte were most of this transform's cost. What to do with a byte is one table lookup.
        Self.rewrittenInPlace(input, reusing: &storage) { bytes in
            Self.cmdLineActions.withUnsafeBufferPointer { actions in
                var length = 0
                for index in bytes.indices {
                    let byte = bytes[index]
                    switch actions[Int(byte)] {
                    case Self.cmdLineKeep:
                        bytes[length] = AhoCorasick.fold(byte)
                    case Self.cmdLineDrop:
                        continue
                    case Self.cmdLineJoin:
                        while length > 0, bytes[length &- 1] == 0x20 { length &-= 1 }
                        bytes[length] = byte
                    default:
                        if length > 0, bytes[length &- 1] == 0x20 { continue }
                        bytes[length] = 0x20
                    }
                    length &+= 1
                }
                return length
            }
        }
    }

    /// What `cmd_line` does with each byte: keep it (lower-cased), drop it (`\ " ' ^`), join it to what came
    /// before by dropping spaces (`/ (`), or make it one space (`, ;` and whitespace).
    private static let cmdLineActions: [UInt8] = (0...255).map { value in
        let byte = UInt8(value)
        switch byte {
        case UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "^"): return Self.cmdLineDrop
        case UInt8(ascii: "/"), UInt8(ascii: "("): return Self.cmdLineJoin
        case UInt8(ascii: ","), UInt8(ascii: ";"): return Self.cmdLineSpace
        case _ where isSpace(byte): return Self.cmdLineSpace
        default: return Self.cmdLineKeep
        }
    }
    private static let cmdLineKeep: UInt8 = 0
    private static let cmdLineDrop: UInt8 = 1
    private static let cmdLineJoin: UInt8 = 2
    private static let cmdLineSpace: UInt8 = 3

    /// ASCII upper case to lower case.
    static func lowercase(_ input: ArraySlice<UInt8>, reusing storage: inout [UInt8]) -> [UInt8] {
        Self.rewrittenInPlace(input, reusing: &storage) { bytes in
            for index in bytes.indices { bytes[index] = AhoCorasick.fold(bytes[index]) }
            return bytes.count
        }
    }

    /// A copy of `input` that `rewrite` edits in place, cut to the length it returns; for transforms whose output
    /// is never longer than their input, written at or behind the byte being read.
    ///
    /// The copy is made in `storage`, whose old bytes are dropped and whose capacity is reused: an evaluation
    /// hands in the arrays of an earlier request's outputs, so a transform allocates only when no such array
    /// is free, or when `storage` is still shared (an output someone holds is copied on write, never changed).
    /// The result is `storage` itself.
    ///
    /// `rewrite` gets the buffer by value, not `inout`: a write through an `inout` buffer might change the
    /// buffer's own address and length, so both were loaded again for every byte.
    static func rewrittenInPlace(
        _ input: ArraySlice<UInt8>, reusing storage: inout [UInt8], _ rewrite: (UnsafeMutableBufferPointer<UInt8>) -> Int
    ) -> [UInt8] {
        storage.removeAll(keepingCapacity: true)
        storage.append(contentsOf: input)
        let kept = storage.withUnsafeMutableBufferPointer { rewrite($0) }
        storage.removeLast(storage.count - kept)
        return storage
    }

    static func utf8ToUnicode(_ input: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(input.count)
        let hexDigits = Array("0123456789abcdef".utf8)
        var index = 0
        while index < input.count {
            let byte = input[index]
            let length = byte >= 0xF0 && byte < 0xF8 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
            guard length > 1, index + length <= input.count,
                input[(index + 1)..<(index + length)].allSatisfy({ $0 & 0xC0 == 0x80 })
            else {
                output.append(byte)
                index += 1
                continue
            }
            var code = Int(byte) & (0xFF >> (length + 1))
            for continuation in input[(index + 1)..<(index + length)] { code = code << 6 | Int(continuation & 0x3F) }
            output += Array("%u".utf8)
            // At least four digits; code points above U+FFFF need five or six.
            let digits = max(4, (Int.bitWidth - code.leadingZeroBitCount + 3) / 4)
            for shift in stride(from: (digits - 1) * 4, through: 0, by: -4) { output.append(hexDigits[(code >> shift) & 0xF]) }
            index += length
        }
        return output
    }
}
