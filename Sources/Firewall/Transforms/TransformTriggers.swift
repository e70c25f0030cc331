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
    /// Set for every value.
    static let any: UInt32 = 1 << 31

    /// The byte classes present in `value`, plus ``any``.
    static func classes(of value: [UInt8]) -> UInt32 {
        var classes = Self.any
        var previous: UInt8?
        for byte in value {
            switch byte {
            case UInt8(ascii: "%"): classes |= Self.percent
            case UInt8(ascii: "+"): classes |= Self.plus
            case 0x41...0x5A: classes |= Self.upper
            case UInt8(ascii: "&"): classes |= Self.ampersand
            case UInt8(ascii: "\\"): classes |= Self.backslash | Self.pathSyntax
            case 0: classes |= Self.nul
            case 0x09...0x0D: classes |= Self.whitespaceRun
            case 0x20 where previous == 0x20: classes |= Self.whitespaceRun
            case UInt8(ascii: "/"):
                if previous == UInt8(ascii: "/") { classes |= Self.pathSyntax }
                if previous == 0x20 { classes |= Self.spaceBeforeSlash }
            case UInt8(ascii: "("): if previous == 0x20 { classes |= Self.spaceBeforeSlash }
            case UInt8(ascii: "."): if previous == nil || previous == UInt8(ascii: "/") { classes |= Self.pathSyntax }
            case UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "^"): classes |= Self.quoting
            case UInt8(ascii: ","), UInt8(ascii: ";"): classes |= Self.separator
            case 0xA0: classes |= Self.high | Self.whitespaceRun
            case 0x80...: classes |= Self.high
            default: break
            }
            previous = byte
        }
        return classes
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
}
