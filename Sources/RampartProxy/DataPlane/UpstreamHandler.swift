import NIOCore
import NIOHTTP1

/// Receives what an upstream connection sends back for the exchange currently leased on it.
protocol UpstreamDelegate: AnyObject {
    /// A response part.
    func upstreamReceived(_ part: HTTPClientResponsePart)
    /// The connection closed or failed before the response ended.
    func upstreamClosed(_ error: any Error)
    /// A read batch ended: time to flush what was written to the client (once per batch, not per part).
    func upstreamReadComplete()
    /// The connection's writability changed: the downstream may read more request body, or must wait.
    func upstreamWritabilityChanged(_ writable: Bool)
}

/// The last handler of an upstream (client) pipeline: hands response parts to the leasing exchange, and tells
/// the pool when an idle connection goes away.
final class UpstreamHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    /// The exchange using the connection; nil while it is idle in the pool.
    weak var delegate: (any UpstreamDelegate)?
    /// Called when the connection closes while idle, so the pool forgets it.
    var onIdleClose: (() -> Void)?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.delegate?.upstreamReceived(self.unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.delegate?.upstreamReadComplete()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let delegate = self.delegate {
            self.delegate = nil
            delegate.upstreamClosed(ChannelError.eof)
        } else {
            self.onIdleClose?()
        }
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        self.delegate?.upstreamWritabilityChanged(context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension UpstreamHandler: Sendable {}
