public import Logging
import ServiceKit

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
        self.sink.append(Self.line(message: event.message.description, metadata: self.metadata.merging(event.metadata ?? [:]) { $1 }, time: Self.now()))
    }

    /// The JSON line for an event (newline included), keys sorted.
    static func line(message: String, metadata: Logger.Metadata, time: (seconds: Int, milliseconds: Int)) -> [UInt8] {
        var members = metadata.mapValues(Self.json)
        members["time"] = .string(Self.timestamp(time))
        if !message.isEmpty { members["msg"] = .string(message) }
        return JSONValue.object(members).serialized(sortedKeys: true) + [0x0A]
    }

    private static func json(_ value: Logger.MetadataValue) -> JSONValue {
        switch value {
        case .string(let string): .string(string)
        case .stringConvertible(let value as Int): .int(value)
        case .stringConvertible(let value as Double): .double(value)
        case .stringConvertible(let value as Bool): .bool(value)
        case .stringConvertible(let value): .string(value.description)
        case .array(let values): .array(values.map(Self.json))
        case .dictionary(let members): .object(members.mapValues(Self.json))
        }
    }

    private static func now() -> (seconds: Int, milliseconds: Int) {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return (spec.tv_sec, spec.tv_nsec / 1_000_000)
    }

    /// RFC 3339 in UTC with milliseconds: `2026-11-25T18:30:00.123Z`.
    static func timestamp(_ time: (seconds: Int, milliseconds: Int)) -> String {
        var seconds = time_t(time.seconds)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(time.milliseconds), 3))Z"
    }
}
