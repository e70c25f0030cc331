#if canImport(Glibc)
import Glibc
#endif

/// The access-log line of one ``AccessLogEntry``: the JSON that ``AccessLogHandler`` writes for the same fields
/// given as separate metadata (members sorted by name, numbers as numbers), written straight from the entry.
enum AccessLogLine {
    /// The line (newline included) for an entry logged at `time`; without a time, the entry's members alone.
    static func encode(_ entry: AccessLogEntry, time: (seconds: Int, milliseconds: Int)?) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(320)
        out.append(UInt8(ascii: "{"))
        Self.member("bytes", first: true, &out)
        Self.write(integer: entry.bytes, to: &out)
        Self.member("client", entry.client, &out)
        Self.member("duration_ms", &out)
        Self.write(milliseconds: entry.durationMicroseconds, to: &out)
        Self.member("method", &out)
        Self.write(string: entry.method, to: &out)
        Self.member("path", &out)
        Self.write(string: entry.path, to: &out)
        Self.member("policy", entry.policy, &out)
        Self.member("reason", entry.status >= 400 ? entry.reason : nil, &out)
        Self.member("request_id", entry.requestID, &out)
        Self.member("route", entry.route, &out)
        if !entry.ruleIDs.isEmpty {
            Self.member("rule_ids", &out)
            out.append(UInt8(ascii: "["))
            for (index, id) in entry.ruleIDs.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                Self.write(integer: id, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        }
        Self.member("status", &out)
        Self.write(integer: entry.status, to: &out)
        if let time {
            Self.member("time", &out)
            Self.write(timestamp: time, to: &out)
        }
        Self.member("upstream", entry.upstream, &out)
        if let latency = entry.upstreamMicroseconds {
            Self.member("upstream_ms", &out)
            Self.write(milliseconds: latency, to: &out)
        }
        out.append(contentsOf: [UInt8(ascii: "}"), 0x0A])
        return out
    }

    /// `,"name":"value"`, or nothing when there is no value.
    @inline(__always)
    private static func member(_ name: StaticString, _ value: String?, _ out: inout [UInt8]) {
        guard let value else { return }
        Self.member(name, &out)
        Self.write(string: value, to: &out)
    }

    /// `,"name":` (no comma before the first member).
    @inline(__always)
    private static func member(_ name: StaticString, first: Bool = false, _ out: inout [UInt8]) {
        if !first { out.append(UInt8(ascii: ",")) }
        out.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { out.append(contentsOf: $0) }
        out.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    /// A JSON string: quotes, backslashes and control characters escaped, everything else as UTF-8.
    static func write(string: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                out.append(UInt8(ascii: "\\"))
                out.append(byte)
            case 0..<0x20:
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                out.append(Self.hexDigit(byte >> 4))
                out.append(Self.hexDigit(byte & 0xF))
            default:
                out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func hexDigit(_ value: UInt8) -> UInt8 { value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") + value - 10 }

    /// An integer in decimal, without going through `String`.
    static func write(integer: Int, to out: inout [UInt8]) {
        if integer < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = integer.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { digits in
            repeat {
                digits[19 - count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            out.append(contentsOf: digits[(20 - count)...])
        }
    }

    /// Microseconds as milliseconds, written as Swift prints the `Double` `microseconds / 1000` (`1.5`,
    /// `1.672`, `0.0`): the shortest decimal that reads back as that value, which for a whole number of
    /// microseconds is the three decimals without their trailing zeros, and one zero when none is left.
    static func write(milliseconds microseconds: Int64, to out: inout [UInt8]) {
        guard microseconds >= 0, microseconds < 1_000_000_000_000 else {
            out.append(contentsOf: String(Double(microseconds) / 1000).utf8)
            return
        }
        Self.write(integer: Int(microseconds / 1000), to: &out)
        out.append(UInt8(ascii: "."))
        var fraction = Int(microseconds % 1000)
        var width = 3
        while width > 1, fraction % 10 == 0 {
            fraction /= 10
            width -= 1
        }
        if width == 3, fraction < 100 { out.append(UInt8(ascii: "0")) }
        if width >= 2, fraction < 10 { out.append(UInt8(ascii: "0")) }
        Self.write(integer: fraction, to: &out)
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

    /// The time now, for a line.
    static func now() -> (seconds: Int, milliseconds: Int) {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return (spec.tv_sec, spec.tv_nsec / 1_000_000)
    }
}
