import NIOCore
import NIOPosix

/// Why a Redis command failed before Redis answered it.
public enum RedisConnectionError: Error, Sendable, Equatable {
    /// The connection closed with the command unanswered.
    case closed
    /// No reply within the command timeout.
    case timeout
    /// Redis answered with an error reply.
    case reply(String)
}

/// One pipelined connection to Redis, owned by one event loop: commands sent from that loop never take a lock.
///
/// It connects on first use and again after the connection fails. A command that gets no reply within
/// `commandTimeout` fails with ``RedisConnectionError/timeout``, and the connection is closed, since the
/// replies that follow could no longer be matched to their commands.
public final class RedisConnection: Sendable {
    private enum State {
        case idle
        case connecting(EventLoopFuture<Channel>)
        case connected(Channel)
    }

    /// The loop that owns the connection.
    public let eventLoop: any EventLoop
    private let host: String
    private let port: Int
    private let connectTimeout: TimeAmount
    private let commandTimeout: TimeAmount
    private let state: NIOLoopBoundBox<State>

    /// Creates a connection to `host`:`port` (connected lazily).
    public init(host: String, port: Int, eventLoop: any EventLoop, connectTimeout: TimeAmount = .milliseconds(500),
                commandTimeout: TimeAmount = .milliseconds(500)) {
        self.host = host
        self.port = port
        self.eventLoop = eventLoop
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.state = NIOLoopBoundBox.makeBoxSendingValue(.idle, eventLoop: eventLoop)
    }

    /// Sends a command; the future completes on ``eventLoop`` with the reply (an error reply fails it).
    public func send(_ arguments: [String]) -> EventLoopFuture<RESPValue> {
        guard self.eventLoop.inEventLoop else {
            return self.eventLoop.flatSubmit { self.send(arguments) }
        }
        return self.channel().flatMap { channel in
            let promise = self.eventLoop.makePromise(of: RESPValue.self)
            let timeout = self.eventLoop.scheduleTask(in: self.commandTimeout) {
                promise.fail(RedisConnectionError.timeout)
                channel.close(promise: nil)
            }
            channel.writeAndFlush(RedisCommand(arguments: arguments, promise: promise), promise: nil)
            return promise.futureResult.always { _ in timeout.cancel() }.flatMapThrowing { reply in
                if case .error(let message) = reply { throw RedisConnectionError.reply(message) }
                return reply
            }
        }
    }

    /// Closes the connection.
    public func close() -> EventLoopFuture<Void> {
        self.eventLoop.flatSubmit {
            guard case .connected(let channel) = self.state.value else { return self.eventLoop.makeSucceededVoidFuture() }
            self.state.value = .idle
            return channel.close().recover { _ in }
        }
    }

    private func channel() -> EventLoopFuture<Channel> {
        switch self.state.value {
        case .connected(let channel) where channel.isActive:
            return self.eventLoop.makeSucceededFuture(channel)
        case .connecting(let future):
            return future
        case .idle, .connected:
            let future = ClientBootstrap(group: self.eventLoop)
                .connectTimeout(self.connectTimeout)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(RedisCommandHandler()) }
                }
                .connect(host: self.host, port: self.port)
            self.state.value = .connecting(future)
            future.whenComplete { result in
                switch result {
                case .success(let channel):
                    self.state.value = .connected(channel)
                    channel.closeFuture.whenComplete { _ in
                        if case .connected(let current) = self.state.value, current === channel { self.state.value = .idle }
                    }
                case .failure:
                    self.state.value = .idle
                }
            }
            return future
        }
    }
}
