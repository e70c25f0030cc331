import NIOCore

/// Holds the flushes an event loop's handlers ask for until the loop has handled every connection that was
/// ready, then flushes them all at once.
///
/// A flush is the `write` that hands bytes to a peer, and on loopback the writer also pays to wake the peer when
/// it sleeps. Flushed one by one, a backend (or client) wakes for the first request of a loop tick, answers it,
/// sleeps, and is woken again for the next one. Flushed together at the end of the tick, it wakes once and finds
/// every request ready: the same number of system calls, far fewer wake-ups. This is Netty's
/// `FlushConsolidationHandler` idea; in the benchmark's head-to-heads it raised one thread's throughput by 6-24%
/// (BENCHMARKS.md).
/// Nothing waits for more input: the flushes run as the loop's next task, after the current tick's reads.
final class TickFlusher {
    private let eventLoop: EventLoop
    /// Channels to flush at the end of the tick, in the order they asked.
    private var pending: [Channel] = []
    /// The list being flushed, kept to reuse its storage.
    private var flushing: [Channel] = []

    /// A flusher for handlers running on `eventLoop`.
    init(eventLoop: EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Flushes `channel` once the loop has handled this tick's ready connections. The channel, not a handler's
    /// context, is kept: a handler may leave the pipeline before then (an upgrade hands the connection to a
    /// tunnel), and what it wrote must still go out.
    func flushAtTickEnd(_ channel: Channel) {
        guard let last = self.pending.last else {
            self.eventLoop.assumeIsolated().execute { self.flushPending() }
            return self.pending.append(channel)
        }
        // A response's end and its read's end both ask, one after the other.
        if last !== channel { self.pending.append(channel) }
    }

    private func flushPending() {
        swap(&self.pending, &self.flushing)
        for channel in self.flushing { channel.flush() }
        self.flushing.removeAll(keepingCapacity: true)
    }
}

@available(*, unavailable)
extension TickFlusher: Sendable {}
