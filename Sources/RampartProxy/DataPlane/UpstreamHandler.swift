import NIOCore
import ProxyCore

/// Receives what an upstream connection sends back for the exchange currently leased on it.
protocol UpstreamDelegate: AnyObject {
    /// A response head, body bytes, or the end of the response.
    func upstreamReceived(_ event: UpstreamResponseParser.Event)
    /// The connection closed, or sent what is not HTTP/1.x, before the response ended.
    func upstreamClosed(_ error: any Error)
    /// A read batch ended: time to flush what was written to the client (once per batch, not per part).
    func upstreamReadComplete()
    /// The connection's writability changed: the downstream may read more request body, or must wait.
    func upstreamWritabilityChanged(_ writable: Bool)
}

/// The only handler of an upstream (client) pipeline: writes requests as HTTP/1.1 bytes, and reads responses
/// with ``UpstreamResponseParser`` so their bytes pass to the client without being decoded and encoded again.
/// It also tells the pool when an idle connection goes away.
final class UpstreamHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// The exchange using the connection; nil while it is idle in the pool.
    weak var delegate: (any UpstreamDelegate)?
    /// The pool of the connection's loop, told when the connection closes while idle.
    private weak var pool: LoopContext?
    /// The server whose idle pool holds the connection; nil while it is leased (or being closed by the pool).
    /// A field rather than a callback set per return, which allocated a closure for every request.
    var idleKey: LoopContext.ServerKey?
    private var context: ChannelHandlerContext?
    private var parser = UpstreamResponseParser()
    /// The request body being sent is chunked, so each part is framed.
    private var chunkedRequest = false
    /// What followed a 101 response in the same read: the new protocol's first bytes, handed to the tunnel
    /// when this handler leaves the pipeline.
    private var tunnelBytes: ByteBuffer?

    /// Body bytes of the current response so far, without chunk framing.
    var responseBodyBytes: Int { self.parser.bodyBytes }

    /// A handler for a connection whose loop's pool is `pool`.
    init(pool: LoopContext) {
        self.pool = pool
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    // MARK: Sending a request

    /// Writes a request head (not flushed); its response is expected next.
    ///
    /// - Parameters:
    ///   - head: the head's bytes, as ``ForwardedHeaders`` wrote them.
    ///   - isHEAD: the request is HEAD, so its response has no body.
    ///   - chunked: the request body is chunked, so each part is framed.
    ///   - unwrapChunks: the client speaks HTTP/1.0, so a chunked response reaches it unframed.
    func sendHead(_ head: ByteBuffer, isHEAD: Bool, chunked: Bool, unwrapChunks: Bool) {
        guard let context = self.context else { return }
        self.chunkedRequest = chunked
        self.parser.expectResponse(toHEAD: isHEAD, unwrapChunks: unwrapChunks)
        context.write(self.wrapOutboundOut(head), promise: nil)
    }

    /// Writes request body bytes (not flushed), framed as a chunk when the request is chunked.
    func sendBody(_ body: ByteBuffer) {
        guard let context = self.context, body.readableBytes > 0 else { return }
        guard self.chunkedRequest else {
            context.write(self.wrapOutboundOut(body), promise: nil)
            return
        }
        var start = context.channel.allocator.buffer(capacity: 18)
        HTTP1Serializer.writeChunkStart(length: body.readableBytes, into: &start)
        context.write(self.wrapOutboundOut(start), promise: nil)
        context.write(self.wrapOutboundOut(body), promise: nil)
        context.write(self.wrapOutboundOut(context.channel.allocator.buffer(staticString: HTTP1Serializer.chunkEnd)), promise: nil)
    }

    /// Ends the request body (not flushed): the last chunk when chunked, nothing otherwise.
    func sendEnd() {
        guard let context = self.context, self.chunkedRequest else { return }
        context.write(self.wrapOutboundOut(context.channel.allocator.buffer(staticString: HTTP1Serializer.lastChunk)), promise: nil)
    }

    /// Flushes what was written at the end of the loop's tick (``TickFlusher``).
    func flush() {
        guard let context = self.context else { return }
        guard let pool = self.pool else { return context.flush() }
        pool.flusher.flushAtTickEnd(context.channel)
    }

    // MARK: Channel events

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = self.unwrapInboundIn(data)
        do {
            while let event = try self.parser.next(&buffer) {
                if case .end = event, self.parser.hasSwitchedProtocols, buffer.readableBytes > 0 {
                    self.tunnelBytes = buffer
                    buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
                }
                self.delegate?.upstreamReceived(event)
            }
        } catch {
            self.fail(error, context: context)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.delegate?.upstreamReadComplete()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let delegate = self.delegate {
            if let end = self.parser.inputClosed() {
                delegate.upstreamReceived(end)
            } else {
                self.delegate = nil
                delegate.upstreamClosed(ChannelError.eof)
            }
        } else if let key = self.idleKey {
            self.idleKey = nil
            self.pool?.remove(context.channel, key: key)
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

    /// Hands the new protocol's first bytes to the handler that replaces this one (the tunnel).
    func removeHandler(context: ChannelHandlerContext, removalToken: ChannelHandlerContext.RemovalToken) {
        if let bytes = self.tunnelBytes {
            self.tunnelBytes = nil
            context.fireChannelRead(self.wrapInboundOut(bytes))
            // The tunnel flushes what it forwarded when a read ends: a backend's first message after the 101 goes
            // out now, not with the next read.
            context.fireChannelReadComplete()
        }
        context.leavePipeline(removalToken: removalToken)
    }

    private func fail(_ error: any Error, context: ChannelHandlerContext) {
        let delegate = self.delegate
        self.delegate = nil
        delegate?.upstreamClosed(error)
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension UpstreamHandler: Sendable {}
