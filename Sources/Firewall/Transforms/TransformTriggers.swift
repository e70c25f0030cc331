/// Which bytes can make a transform change a value, so most transform work on ordinary values is skipped.
///
/// A value is summarized once, in one pass, as a set of byte classes (``classes(of:)``); each transform names
/// the classes without which it returns its input unchanged (``Transform/triggers``). A chain whose
/// transforms' triggers are absent from a value leaves it as it is, so the value is neither transformed nor
/// scanned again for that chain. Every value carries ``TransformTriggers/any``, which transforms that always
/// change their input (`base64_decode`, `length`) use as their trigger.
enum TransformTriggers {
    static let percent: UInt32 = 1 << 0
    static let plus: UInt32 = 1 << 1
    static let upper: UInt32 = 1 << 2
    static let ampersand: UInt32 = 1 << 3
    static let backslash: UInt32 = 1 << 4
    static let nul: UInt32 = 1 << 5
    /// Whitespace other than a single space (tab, CR, LF, FF, VT, NBSP), or two spaces in a row.
    static let whitespaceRun: UInt32 = 1 << 6
    /// `//`, or a `.` at the start or after `/`: what ``Decoders/isNormalPath(_:)`` looks for.
    static let pathSyntax: UInt32 = 1 << 7
    static let high: UInt32 = 1 << 8
    /// `"`, `'` or `^`, which `cmd_line` drops.
    static let quoting: UInt32 = 1 << 9
    /// `,` or `;`, which `cmd_line` turns into spaces.
    static let separator: UInt32 = 1 << 10
    /// A space before `/` or `(`, which `cmd_line` drops.
    static let spaceBeforeSlash: UInt32 = 1 << 11
    /// A byte that is neither base64 (either alphabet), padding nor a space or line break: `base64_decode`
    /// leaves a value holding one as it is (``Transform/blockers``).
    static let notBase64: UInt32 = 1 << 12
    /// Set for every value.
    static let any: UInt32 = 1 << 31

    /// The byte classes present in `value`, plus ``any``.
    ///
    /// Every value of every request passes through here, so the pass is two table lookups per byte: a byte's
    /// classes depend on the byte and on what came before it only as "a space", "a slash", "the start" or
    /// "anything else" (``classes(of:after:)``), ``table`` holds the answer for each of the four, and
    /// ``nextOffsets`` where in it the next byte looks. ``LiteralPrefilter/scan(_:into:offset:)`` runs the same
    /// steps in its own pass over a value.
    static func classes(of value: ArraySlice<UInt8>) -> UInt32 {
        var classes = Self.any
        var previous = Self.start
        Self.table.withUnsafeBufferPointer { table in
            Self.nextOffsets.withUnsafeBufferPointer { nextOffsets in
                for byte in value {
                    classes |= table[previous &+ Int(byte)]
                    previous = Int(nextOffsets[Int(byte)])
                }
            }
        }
        return classes
    }

    /// One predecessor of each kind, in ``table``'s order: anything else, a space, a slash, the start.
    private static let predecessors: [UInt8?] = [UInt8(ascii: "a"), 0x20, UInt8(ascii: "/"), nil]

    /// Offsets into ``table`` for what came before a byte, by position in ``predecessors``.
    private static let afterOther = 0 * 256
    private static let afterSpace = 1 * 256
    private static let afterSlash = 2 * 256
    /// Where in ``table`` the first byte of a value looks.
    static let start = 3 * 256

    /// ``classes(of:after:)`` for every byte after each of ``predecessors``.
    static let table: [UInt32] = Self.predecessors.flatMap { previous in
        (0...255).map { Self.classes(of: UInt8($0), after: previous) }
    }

    /// Per byte, the offset into ``table`` for the byte that follows it.
    static let nextOffsets: [UInt16] = (0...255).map { byte in
        UInt16(byte == 0x20 ? Self.afterSpace : byte == Int(UInt8(ascii: "/")) ? Self.afterSlash : Self.afterOther)
    }

    /// The classes one byte adds, given the byte before it (nil at the start of the value).
    static func classes(of byte: UInt8, after previous: UInt8?) -> UInt32 {
        (Decoders.isBase64(byte) ? 0 : Self.notBase64) | Self.triggerClasses(of: byte, after: previous)
    }

    /// The classes of bytes that make transforms change a value.
    private static func triggerClasses(of byte: UInt8, after previous: UInt8?) -> UInt32 {
        switch byte {
        case UInt8(ascii: "%"): Self.percent
        case UInt8(ascii: "+"): Self.plus
        case 0x41...0x5A: Self.upper
        case UInt8(ascii: "&"): Self.ampersand
        case UInt8(ascii: "\\"): Self.backslash | Self.pathSyntax
        case 0: Self.nul
        case 0x09...0x0D: Self.whitespaceRun
        case 0x20: previous == 0x20 ? Self.whitespaceRun : 0
        case UInt8(ascii: "/"):
            (previous == UInt8(ascii: "/") ? Self.pathSyntax : 0) | (previous == 0x20 ? Self.spaceBeforeSlash : 0)
        case UInt8(ascii: "("): previous == 0x20 ? Self.spaceBeforeSlash : 0
        case UInt8(ascii: "."): previous == nil || previous == UInt8(ascii: "/") ? Self.pathSyntax : 0
        case UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "^"): Self.quoting
        case UInt8(ascii: ","), UInt8(ascii: ";"): Self.separator
        case 0xA0: Self.high | Self.whitespaceRun
        case 0x80...: Self.high
        default: 0
        }
    }
}

extension Transform {
    /// The byte classes (``TransformTriggers``) without which this transform returns its input unchanged.
    var triggers: UInt32 {
        switch self {
        case .urlDecode: TransformTriggers.percent | TransformTriggers.plus
        case .lowercase: TransformTriggers.upper
        case .htmlEntityDecode: TransformTriggers.ampersand
        case .jsDecode, .cssDecode: TransformTriggers.backslash
        case .removeNulls: TransformTriggers.nul
        case .compressWhitespace: TransformTriggers.whitespaceRun
        case .normalizePath: TransformTriggers.pathSyntax
        case .cmdLine:
            TransformTriggers.backslash | TransformTriggers.quoting | TransformTriggers.separator | TransformTriggers.whitespaceRun
                | TransformTriggers.upper | TransformTriggers.spaceBeforeSlash
        case .utf8ToUnicode: TransformTriggers.high
        case .base64Decode, .length: TransformTriggers.any
        }
    }

    /// The byte classes with which this transform returns its input unchanged: a value holding a byte outside
    /// base64's alphabet is not decoded. Most request values hold one (a `,`, `.` or `@`), and this says so
    /// from the classes already summarized, without reading the value again.
    var blockers: UInt32 {
        self == .base64Decode ? TransformTriggers.notBase64 : 0
    }
}
