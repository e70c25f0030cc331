public import Logging

/// One request's access-log fields, as the proxy hands them to its `Logger`: the whole entry under one metadata
/// key (``metadataKey``), so the ``AccessLogHandler`` writes its line straight from it.
///
/// Passing each field as its own metadata member cost about a tenth of a request's time once the data plane
/// served 25k requests a second on one core: a dictionary of a dozen string keys built and hashed, merged,
/// its keys sorted and looked up again, numbers formatted through `String`. With one key, the handler skips
/// all of that and writes the members in their sorted order (``AccessLogLine``).
///
/// A class, so that the metadata value holds a reference: a struct this size would be copied into a box of its
/// own, and copied out again to be read.
public final class AccessLogEntry: Sendable, CustomStringConvertible {
    /// The metadata key the proxy logs an entry under.
    public static let metadataKey = "rampart.access"

    /// The request line's method.
    public let method: String
    /// The path without the query, which may carry secrets.
    public let path: String
    /// The status the client got.
    public let status: Int
    /// The response body bytes sent.
    public let bytes: Int
    /// Request head to end of response, in microseconds.
    public let durationMicroseconds: Int64
    /// The X-Request-ID sent upstream.
    public let requestID: String?
    /// The resolved client address.
    public let client: String?
    /// The route's name.
    public let route: String?
    /// The backend server, `host:port`.
    public let upstream: String?
    /// From the request sent upstream to the response head, in microseconds.
    public let upstreamMicroseconds: Int64?
    /// The firewall rules that blocked (or, detection-only, would have blocked).
    public let ruleIDs: [Int]
    /// The rate-limit policy that rejected.
    public let policy: String?
    /// Why the proxy answered a 4xx or 5xx itself; written only for those statuses.
    public let reason: String?

    /// Creates an entry.
    public init(
        method: String, path: String, status: Int, bytes: Int, durationMicroseconds: Int64, requestID: String? = nil, client: String? = nil,
        route: String? = nil, upstream: String? = nil, upstreamMicroseconds: Int64? = nil, ruleIDs: [Int] = [], policy: String? = nil,
        reason: String? = nil
    ) {
        self.method = method
        self.path = path
        self.status = status
        self.bytes = bytes
        self.durationMicroseconds = durationMicroseconds
        self.requestID = requestID
        self.client = client
        self.route = route
        self.upstream = upstream
        self.upstreamMicroseconds = upstreamMicroseconds
        self.ruleIDs = ruleIDs
        self.policy = policy
        self.reason = reason
    }

    /// The entry as separate metadata members, for a handler that adds metadata of its own (the line is then
    /// built the general way, with the same result).
    public var metadata: Logger.Metadata {
        var metadata: Logger.Metadata = [
            "method": .string(self.method), "path": .string(self.path), "status": .stringConvertible(self.status),
            "bytes": .stringConvertible(self.bytes), "duration_ms": .stringConvertible(Double(self.durationMicroseconds) / 1000),
        ]
        if let value = self.requestID { metadata["request_id"] = .string(value) }
        if let value = self.client { metadata["client"] = .string(value) }
        if let value = self.route { metadata["route"] = .string(value) }
        if let value = self.upstream { metadata["upstream"] = .string(value) }
        if let value = self.upstreamMicroseconds { metadata["upstream_ms"] = .stringConvertible(Double(value) / 1000) }
        if !self.ruleIDs.isEmpty { metadata["rule_ids"] = .array(self.ruleIDs.map { .stringConvertible($0) }) }
        if let value = self.policy { metadata["policy"] = .string(value) }
        if self.status >= 400, let value = self.reason { metadata["reason"] = .string(value) }
        return metadata
    }

    /// The entry's JSON object, as its line holds it (without the time), for another handler that prints it.
    public var description: String {
        var line = AccessLogLine.encode(self, time: nil)
        line.removeLast()
        return String(decoding: line, as: UTF8.self)
    }
}
