/// A refill rate written as people write it: `100/s`, `5/min`, `1000/hour`, `20/10s`.
public struct Rate: Sendable, Hashable, CustomStringConvertible {
    /// Requests (tokens) per window.
    public let count: Int
    /// The window in seconds.
    public let window: Int

    /// Tokens added per second.
    public var perSecond: Double { Double(self.count) / Double(self.window) }

    /// Creates a rate of `count` per `window` seconds.
    public init(count: Int, window: Int) {
        precondition(count > 0 && window > 0, "a rate needs a positive count and window")
        self.count = count
        self.window = window
    }

    /// Parses `COUNT/UNIT`, where UNIT is `s`, `sec`, `second`, `m`, `min`, `minute`, `h`, `hour`, `d` or `day`,
    /// optionally preceded by a number of units (`20/10s`).
    public init(parsing text: String) throws(RateError) {
        let parts = text.split(separator: "/", maxSplits: 1).map { String($0.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed()) }
        guard parts.count == 2, let count = Int(parts[0]), count > 0 else {
            throw RateError(text: text, reason: "write it as COUNT/UNIT, e.g. 100/s or 5/min, with a positive count")
        }
        let unitText = parts[1]
        let digits = unitText.prefix { $0.isNumber }
        let multiplier = digits.isEmpty ? 1 : Int(digits) ?? 0
        let seconds: Int? = switch unitText.dropFirst(digits.count).lowercased() {
        case "s", "sec", "second", "seconds": 1
        case "m", "min", "minute", "minutes": 60
        case "h", "hour", "hours": 3600
        case "d", "day", "days": 86_400
        default: nil
        }
        guard let seconds, multiplier > 0 else {
            throw RateError(text: text, reason: "unknown unit \"\(unitText)\"; use s, min, hour or day")
        }
        self.init(count: count, window: multiplier * seconds)
    }

    public var description: String { "\(self.count)/\(self.window)s" }
}

/// A rate that could not be parsed.
public struct RateError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The text as written.
    public let text: String
    /// What is wrong.
    public let reason: String

    public var description: String { "rate \"\(self.text)\": \(self.reason)" }
}
