public import Logging

#if canImport(Glibc)
import Glibc
#endif

/// A swift-log handler that writes each event as one JSON line: its metadata as members, plus `time` (UTC,
/// milliseconds) and, when the message is not empty, `msg`.
///
/// The proxy logs one event per request through a `Logger` made with this handler (docs/stats.md lists the
/// fields). Integer and floating-point metadata (`.stringConvertible`) are written as JSON numbers.
public struct AccessLogHandler: LogHandler {
    /// Metadata added to every line.
    public var metadata: Logger.Metadata = [:]
    /// Lines below this level are dropped.
    public var logLevel: Logger.Level = .info
    /// Unused: the proxy passes each request's fields explicitly.
    public var metadataProvider: Logger.MetadataProvider?
    private let sink: AccessLogSink

    /// A handler writing to `sink`.
    public init(sink: AccessLogSink) {
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let metadata = self.metadata.isEmpty ? event.metadata ?? [:] : self.metadata.merging(event.metadata ?? [:]) { $1 }
        self.sink.append(Self.line(message: event.message.description, metadata: metadata, time: Self.now()))
    }

    /// The JSON line for an event (newline included), keys sorted.
    ///
    /// Written straight into bytes, without an intermediate JSON tree: this runs once per request on the
    /// event loop, and the access log may cost the proxy no more than a few percent.
    static func line(message: String, metadata: Logger.Metadata, time: (seconds: Int, milliseconds: Int)) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(384)
        var keys = Array(metadata.keys)
        if metadata["time"] == nil { keys.append("time") }
        if !message.isEmpty && metadata["msg"] == nil { keys.append("msg") }
        keys.sort()
        out.append(UInt8(ascii: "{"))
        for (index, key) in keys.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            Self.write(string: key, to: &out)
            out.append(UInt8(ascii: ":"))
            switch key {
            case "time" where metadata[key] == nil: Self.write(timestamp: time, to: &out)
            case "msg" where metadata[key] == nil: Self.write(string: message, to: &out)
            default: Self.write(value: metadata[key] ?? .string(""), to: &out)
            }
        }
        out.append(contentsOf: [UInt8(ascii: "}"), 0x0A])
        return out
    }

    private static func write(value: Logger.MetadataValue, to out: inout [UInt8]) {
        switch value {
        case .string(let string):
            Self.write(string: string, to: &out)
        case .stringConvertible(let number as Int):
            out.append(contentsOf: String(number).utf8)
        case .stringConvertible(let number as Double):
            out.append(contentsOf: number.isFinite ? Array(String(number).utf8) : Array("null".utf8))
        case .stringConvertible(let flag as Bool):
            out.append(contentsOf: (flag ? "true" : "false").utf8)
        case .stringConvertible(let other):
            Self.write(string: other.description, to: &out)
        case .array(let values):
            out.append(UInt8(ascii: "["))
            for (index, element) in values.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                Self.write(value: element, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .dictionary(let members):
            out.append(UInt8(ascii: "{"))
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                Self.write(string: key, to: &out)
                out.append(UInt8(ascii: ":"))
                Self.write(value: members[key] ?? .string(""), to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// A JSON string: quotes, backslashes and control characters escaped, everything else as UTF-8.
    private static func write(string: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                out.append(UInt8(ascii: "\\"))
                out.append(byte)
            case 0..<0x20:
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(Self.hexDigits[Int(byte >> 4)])
                out.append(Self.hexDigits[Int(byte & 0xF)])
            default:
                out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func now() -> (seconds: Int, milliseconds: Int) {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return (spec.tv_sec, spec.tv_nsec / 1_000_000)
    }

    /// RFC 3339 in UTC with milliseconds, quoted: `"2026-11-25T18:30:00.123Z"`.
    static func write(timestamp time: (seconds: Int, milliseconds: Int), to out: inout [UInt8]) {
        var seconds = time_t(time.seconds)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func digits(_ value: Int, _ width: Int) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            while divisor > 0 {
                out.append(UInt8(ascii: "0") + UInt8((value / divisor) % 10))
                divisor /= 10
            }
        }
        out.append(UInt8(ascii: "\""))
        digits(Int(parts.tm_year) + 1900, 4)
        out.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mon) + 1, 2)
        out.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mday), 2)
        out.append(UInt8(ascii: "T"))
        digits(Int(parts.tm_hour), 2)
        out.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_min), 2)
        out.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_sec), 2)
        out.append(UInt8(ascii: "."))
        digits(time.milliseconds, 3)
        out.append(contentsOf: [UInt8(ascii: "Z"), UInt8(ascii: "\"")])
    }
}
