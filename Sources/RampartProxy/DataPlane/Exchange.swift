import Firewall
import NIOCore
import ProxyCore
import RateLimit

/// One request on its way through the proxy: what was decided about it and where it stands.
final class Exchange {
    /// The config, rules and limits the request started with; it finishes with them even if a reload swaps
    /// in new ones meanwhile.
    let state: ProxyState
    let head: ClientRequestHead
    /// Whether the client connection stays open after this exchange.
    var keepAlive: Bool
    let route: RouteTable.Entry
    /// The head as the backend gets it, written once the checks passed.
    let forwardedHead: ByteBuffer
    var requestID: ProxyRequestID
    /// The firewall's evaluation until its body phase has run; then it goes back to the loop for reuse. Nil when
    /// the rule set is empty or the headers phase allowed the request outright.
    var firewall: FirewallEvaluation?
    var rateDecision: RateLimitDecision?

    /// Body bytes held back: for the firewall's body phase, or until the upstream connection is ready.
    var pendingBody: [ByteBuffer] = []
    var inspectedBytes = 0
    /// The firewall has decided on the body (all of it, or the inspected prefix).
    var bodyInspected = false
    /// The client has sent the whole request.
    var requestEnded = false

    var upstream: Channel?
    var upstreamHandler: UpstreamHandler?
    var serverKey: LoopContext.ServerKey?
    var triedServer: Int?
    var responseStarted = false
    /// The backend's status, once its response head arrived.
    var responseStatus = 0
    /// Response body bytes sent to the client, without chunk framing.
    var responseBytes = 0
    /// When the request head went upstream, for the upstream latency.
    var sentAt: NIODeadline?
    var upstreamKeepAlive = true
    /// When the backend must have started answering (set once the whole request is sent).
    var responseDeadline: NIODeadline?
    /// Body parts were written upstream since the last flush (asked for once per client read batch).
    var upstreamNeedsFlush = false
    /// The request asks to switch protocols (Upgrade), so Upgrade is forwarded.
    var isTunnel = false
    /// The backend answered 101: after this response the connections are glued.
    var switchingProtocols = false

    init(state: ProxyState, head: ClientRequestHead, route: RouteTable.Entry, forwardedHead: ByteBuffer, requestID: ProxyRequestID, firewall: consuming FirewallEvaluation?) {
        self.state = state
        self.head = head
        self.keepAlive = head.keepAlive
        self.route = route
        self.forwardedHead = forwardedHead
        self.requestID = requestID
        self.firewall = firewall
    }

    /// Safe to send again to another server after a failed connect.
    var isIdempotent: Bool {
        [.GET, .HEAD, .OPTIONS, .PUT, .DELETE, .TRACE].contains(self.head.method)
    }

    /// The held-back body as bytes, for the firewall.
    func inspectedBody() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(self.inspectedBytes)
        for buffer in self.pendingBody { bytes.append(contentsOf: buffer.readableBytesView) }
        return bytes
    }
}

@available(*, unavailable)
extension Exchange: Sendable {}
