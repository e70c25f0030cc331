import Foundation
import RateLimit
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Where access-log lines go: standard output or a file, written in batches.
///
/// Lines are gathered in memory and written when 64 KiB have piled up, and at the latest every 200 ms, so a
/// request costs a copy, not a system call. ``reopen()`` opens the file again by its name, for log rotation
/// (SIGUSR1 after the old file was moved away).
public final class AccessLogSink: Sendable {
    private struct State {
        var descriptor: Int32
        var pending: [UInt8] = []
        /// Lines lost to failed writes (a full disk, a closed pipe).
        var dropped = 0
        /// When a failed write was last reported on standard error (monotonic seconds).
        var reported: Double = -.infinity
    }

    /// `stdout`, or the path of the file, appended to.
    public let path: String
    private let state: Mutex<State>
    private static let batchSize = 64 * 1024

    /// Opens `path` for appending (created with mode 0640 if missing); `stdout` or `-` writes to standard output.
    ///
    /// - Throws: ``AccessLogError`` naming the path and the system's reason when the file cannot be opened.
    public init(path: String) throws(AccessLogError) {
        self.path = path
        self.state = Mutex(State(descriptor: try Self.open(path)))
        // A flusher thread that ends once the sink is gone.
        let thread = Thread { [weak self] in
            while let sink = self {
                sink.flush()
                usleep(200_000)
            }
        }
        thread.name = "rampart-access-log"
        thread.start()
    }

    deinit {
        self.state.withLock { state in
            Self.writeOut(&state, path: self.path)
            if state.descriptor > 2 { _ = close(state.descriptor) }
        }
    }

    private static func open(_ path: String) throws(AccessLogError) -> Int32 {
        if path == "stdout" || path == "-" { return STDOUT_FILENO }
        let descriptor = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else { throw AccessLogError(path: path, reason: String(cString: strerror(errno))) }
        return descriptor
    }

    /// Lines lost to failed writes since start (reported in /stats).
    public var droppedLines: Int { self.state.withLock { $0.dropped } }

    /// Adds one line (its newline included).
    public func append(_ line: [UInt8]) {
        self.state.withLock { state in
            state.pending.append(contentsOf: line)
            if state.pending.count >= Self.batchSize { Self.writeOut(&state, path: self.path) }
        }
    }

    /// Writes out whatever is gathered.
    public func flush() {
        self.state.withLock { Self.writeOut(&$0, path: self.path) }
    }

    /// Flushes, then opens the file again by name: after a rotation the log continues in a new file.
    ///
    /// - Throws: ``AccessLogError`` when the file cannot be opened; the old file then stays in use.
    public func reopen() throws(AccessLogError) {
        let descriptor = try Self.open(self.path)
        self.state.withLock { state in
            Self.writeOut(&state, path: self.path)
            if state.descriptor > 2 && state.descriptor != descriptor { _ = close(state.descriptor) }
            state.descriptor = descriptor
        }
    }

    /// Writes the gathered lines while the lock is held, so a batch never interleaves with another or with a
    /// reopen; a batch is written at most every 64 KiB or 200 ms, so loops rarely wait for it.
    /// A write that fails loses the lines not yet written; they are counted, and the failure is reported on
    /// standard error at most once a minute, so a full disk neither stops the proxy nor floods its log.
    private static func writeOut(_ state: inout State, path: String) {
        guard !state.pending.isEmpty else { return }
        let descriptor = state.descriptor
        let failure: (offset: Int, error: Int32)? = state.pending.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return nil }
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(descriptor, base + offset, raw.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return (offset, written < 0 ? errno : EIO) }
                offset += written
            }
            return nil
        }
        if let failure {
            state.dropped += state.pending[failure.offset...].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            let now = MonotonicClock.seconds()
            if now - state.reported >= 60 {
                state.reported = now
                let message = "rampart: writing the access log to \(path) failed (\(String(cString: strerror(failure.error)))); \(state.dropped) lines lost so far\n"
                _ = message.withCString { Glibc.write(STDERR_FILENO, $0, strlen($0)) }
            }
        }
        state.pending.removeAll(keepingCapacity: true)
    }
}

/// The access log's file could not be opened.
public struct AccessLogError: Error, Sendable, CustomStringConvertible {
    /// The path from the config.
    public let path: String
    /// The system's reason.
    public let reason: String

    public var description: String {
        "cannot open the access log \(self.path): \(self.reason); check that its directory exists and is writable, or set access_log.path to stdout"
    }
}
