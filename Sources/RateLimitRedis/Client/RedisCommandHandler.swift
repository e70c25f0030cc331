import NIOCore

/// A command and the promise its reply completes.
struct RedisCommand {
    let arguments: [String]
    let promise: EventLoopPromise<RESPValue>
}

/// Writes commands and completes their promises with replies in order: Redis answers a connection's commands
/// in the order it received them, so a FIFO of promises is all pipelining needs. Loop-bound, no locks.
final class RedisCommandHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = RedisCommand
    typealias OutboundOut = ByteBuffer

    private var pending = CircularBuffer<EventLoopPromise<RESPValue>>()
    private var received: ByteBuffer?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let command = self.unwrapOutboundIn(data)
        var buffer = context.channel.allocator.buffer(capacity: 64)
        RESPParser.writeCommand(command.arguments, into: &buffer)
        self.pending.append(command.promise)
        context.write(self.wrapOutboundOut(buffer), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = self.unwrapInboundIn(data)
        if self.received == nil {
            self.received = incoming
        } else {
            self.received?.writeBuffer(&incoming)
        }
        do {
            while var buffer = self.received, let value = try RESPParser.parse(&buffer) {
                self.received = buffer.readableBytes > 0 ? buffer : nil
                guard let promise = self.pending.popFirst() else {
                    throw RESPError("a reply arrived with no command waiting for it")
                }
                promise.succeed(value)
            }
        } catch {
            context.fireErrorCaught(error)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.failAll(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.failAll(RedisConnectionError.closed)
        context.fireChannelInactive()
    }

    private func failAll(_ error: any Error) {
        while let promise = self.pending.popFirst() { promise.fail(error) }
    }
}

@available(*, unavailable)
extension RedisCommandHandler: Sendable {}
