import NIOCore
import ProxyCore

/// What the access log and the stats learn about one request while it is handled, written out when it ends.
struct RequestRecord {
    let started: NIODeadline
    let method: String
    /// The path without the query, which may carry secrets.
    let path: String
    var requestID: ProxyRequestID?
    var client: String?
    var route: String?
    /// The firewall rules that blocked the request, or would have in detection-only mode.
    var ruleIDs: [Int] = []
    /// The rate-limit policy that rejected the request.
    var policy: String?
    /// The backend server, `host:port`.
    var upstream: String?
    /// From the request sent upstream to the response head.
    var upstreamLatency: TimeAmount?

    init(started: NIODeadline, method: String, path: String) {
        self.started = started
        self.method = method
        self.path = path
    }
}
