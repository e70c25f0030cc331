public import Logging

/// A swift-log handler that writes each event as one JSON line: its metadata as members, plus `time` (UTC,
/// milliseconds) and, when the message is not empty, `msg`.
///
/// The proxy logs one event per request, its fields as one ``AccessLogEntry`` under
/// ``AccessLogEntry/metadataKey``; the handler writes such an event straight from the entry (docs/stats.md lists
/// the fields). Any other event is written the general way. Integer and floating-point metadata
/// (`.stringConvertible`) are written as JSON numbers.
public struct AccessLogHandler: LogHandler {
    /// Metadata added to every line.
    public var metadata: Logger.Metadata = [:]
    /// Lines below this level are dropped.
    public var logLevel: Logger.Level = .info
    /// Unused: the proxy passes each request's fields with its event.
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
        let time = AccessLogLine.now()
        var metadata = event.metadata ?? [:]
        if case .stringConvertible(let value)? = metadata[AccessLogEntry.metadataKey], let entry = value as? AccessLogEntry {
            // The proxy's event: one entry and nothing else to merge in, so its line is written directly.
            if metadata.count == 1, self.metadata.isEmpty, event.message.description.isEmpty {
                return self.sink.append(AccessLogLine.encode(entry, time: time))
            }
            metadata[AccessLogEntry.metadataKey] = nil
            metadata.merge(entry.metadata) { current, _ in current }
        }
        if !self.metadata.isEmpty { metadata = self.metadata.merging(metadata) { $1 } }
        self.sink.append(Self.line(message: event.message.description, metadata: metadata, time: time))
    }

    /// The JSON line for an event (newline included), keys sorted.
    ///
    /// Written straight into bytes, without an intermediate JSON tree.
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
            AccessLogLine.write(string: key, to: &out)
            out.append(UInt8(ascii: ":"))
            switch key {
            case "time" where metadata[key] == nil: AccessLogLine.write(timestamp: time, to: &out)
            case "msg" where metadata[key] == nil: AccessLogLine.write(string: message, to: &out)
            default: Self.write(value: metadata[key] ?? .string(""), to: &out)
            }
        }
        out.append(contentsOf: [UInt8(ascii: "}"), 0x0A])
        return out
    }

    private static func write(value: Logger.MetadataValue, to out: inout [UInt8]) {
        switch value {
        case .string(let string):
            AccessLogLine.write(string: string, to: &out)
        case .stringConvertible(let number as Int):
            AccessLogLine.write(integer: number, to: &out)
        case .stringConvertible(let number as Double):
            out.append(contentsOf: number.isFinite ? Array(String(number).utf8) : Array("null".utf8))
        case .stringConvertible(let flag as Bool):
            out.append(contentsOf: (flag ? "true" : "false").utf8)
        case .stringConvertible(let other):
            AccessLogLine.write(string: other.description, to: &out)
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
                AccessLogLine.write(string: key, to: &out)
                out.append(UInt8(ascii: ":"))
                Self.write(value: members[key] ?? .string(""), to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }
}
