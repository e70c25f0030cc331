import NIOCore
import NIOEmbedded
@testable import RampartProxy
import Testing

/// Flushes asked for during a loop tick go out together when the tick's tasks run, once per channel, and still
/// reach a channel whose handler asked and then left.
@Suite struct TickFlusherTests {
    static func bytes(_ text: String, _ channel: EmbeddedChannel) -> ByteBuffer {
        channel.allocator.buffer(string: text)
    }

    @Test func flushesWaitForTheEndOfTheTick() throws {
        let loop = EmbeddedEventLoop()
        let first = EmbeddedChannel(loop: loop)
        let second = EmbeddedChannel(loop: loop)
        let flusher = TickFlusher(eventLoop: loop)

        first.write(Self.bytes("a", first), promise: nil)
        flusher.flushAtTickEnd(first)
        second.write(Self.bytes("b", second), promise: nil)
        flusher.flushAtTickEnd(second)
        #expect(try first.readOutbound(as: ByteBuffer.self) == nil)
        #expect(try second.readOutbound(as: ByteBuffer.self) == nil)

        loop.run()
        #expect(try first.readOutbound(as: ByteBuffer.self) == Self.bytes("a", first))
        #expect(try second.readOutbound(as: ByteBuffer.self) == Self.bytes("b", second))

        // The next tick starts empty: a later write waits for its own tick's end.
        first.write(Self.bytes("c", first), promise: nil)
        flusher.flushAtTickEnd(first)
        #expect(try first.readOutbound(as: ByteBuffer.self) == nil)
        loop.run()
        #expect(try first.readOutbound(as: ByteBuffer.self) == Self.bytes("c", first))
    }

    @Test func writesAfterTheAskGoOutInTheSameFlush() throws {
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(loop: loop)
        let flusher = TickFlusher(eventLoop: loop)

        channel.write(Self.bytes("head", channel), promise: nil)
        flusher.flushAtTickEnd(channel)
        channel.write(Self.bytes("body", channel), promise: nil)
        flusher.flushAtTickEnd(channel)
        loop.run()
        #expect(try channel.readOutbound(as: ByteBuffer.self) == Self.bytes("head", channel))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == Self.bytes("body", channel))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
    }

    /// A handler that hands its connection to another (an upgrade to a tunnel) leaves before the tick ends; what
    /// it wrote still goes out, because the flush is the channel's, not the handler's.
    @Test func aHandlerThatLeftStillHasItsBytesFlushed() throws {
        final class Writer: ChannelInboundHandler, RemovableChannelHandler {
            typealias InboundIn = Never
            typealias OutboundOut = ByteBuffer
        }
        let loop = EmbeddedEventLoop()
        let writer = Writer()
        let channel = EmbeddedChannel(handler: writer, loop: loop)
        let flusher = TickFlusher(eventLoop: loop)
        let context = try channel.pipeline.syncOperations.context(handler: writer)

        context.write(NIOAny(Self.bytes("101", channel)), promise: nil)
        flusher.flushAtTickEnd(context.channel)
        channel.pipeline.syncOperations.removeHandler(writer, promise: nil)
        loop.run()
        #expect(try channel.readOutbound(as: ByteBuffer.self) == Self.bytes("101", channel))
    }
}
