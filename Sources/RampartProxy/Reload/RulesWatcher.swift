import Foundation
import Logging
import NIOConcurrencyHelpers
public import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// Watches the rules directory and calls back when its files change: with inotify where the kernel offers it,
/// and by comparing ``DirectoryFingerprint``s every poll interval in any case, which catches what inotify
/// cannot see (a directory created later, a file system without events).
///
/// Editors write a file in several steps, so after an event the watcher waits until the directory has been
/// quiet for 100 ms, then compares fingerprints; nothing is reloaded unless a file really changed.
public final class RulesWatcher: Service, Sendable {
    private let root: String
    private let pollInterval: Double
    private let onChange: @Sendable () -> Void
    private let logger: Logger
    private let running = NIOLockedValueBox(false)

    /// A watcher of `root` calling `onChange` (on the watcher's own thread) after each change.
    public init(root: String, pollInterval: Double, logger: Logger, onChange: @escaping @Sendable () -> Void) {
        self.root = root
        self.pollInterval = pollInterval
        self.onChange = onChange
        self.logger = logger
    }

    /// Starts watching on a thread of its own.
    public func start() {
        guard self.running.withLockedValue({ running in defer { running = true }; return !running }) else { return }
        // The first fingerprint and the watches are in place before `start` returns, so a change made right
        // after it is seen by inotify at once, not only at the next poll.
        let fingerprint = DirectoryFingerprint(root: self.root)
        let notify = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        if notify < 0 {
            self.logger.notice("inotify is unavailable; polling the rules directory", metadata: ["interval": "\(self.pollInterval)s"])
        }
        var watched = Set<String>()
        self.addWatches(notify, fingerprint.directories, &watched)
        let thread = Thread { [watched] in self.watch(notify: notify, fingerprint: fingerprint, watched: watched) }
        thread.name = "rampart-rules-watcher"
        thread.start()
    }

    /// Stops watching (within one poll interval).
    public func stop() {
        self.running.withLockedValue { $0 = false }
    }

    /// Watches until graceful shutdown.
    public func run() async throws {
        self.start()
        try? await gracefulShutdown()
        self.stop()
    }

    private var isRunning: Bool { self.running.withLockedValue { $0 } }

    private func watch(notify: Int32, fingerprint initial: DirectoryFingerprint, watched initiallyWatched: Set<String>) {
        var fingerprint = initial
        var watched = initiallyWatched
        defer { if notify >= 0 { close(notify) } }
        let timeout = Int32(self.pollInterval * 1000)
        while self.isRunning {
            if notify >= 0 {
                var descriptor = pollfd(fd: notify, events: Int16(POLLIN), revents: 0)
                if poll(&descriptor, 1, timeout) > 0 {
                    // Let a burst of writes settle: quiet for 100 ms, at most 500 ms in all.
                    var waited = 0
                    while self.drain(notify), waited < 500 {
                        descriptor.revents = 0
                        guard poll(&descriptor, 1, 100) > 0 else { break }
                        waited += 100
                    }
                }
            } else {
                usleep(UInt32(self.pollInterval * 1_000_000))
            }
            guard self.isRunning else { return }
            let now = DirectoryFingerprint(root: self.root)
            guard now != fingerprint else { continue }
            fingerprint = now
            self.addWatches(notify, now.directories, &watched)
            self.onChange()
        }
    }

    /// Reads and discards pending events; true when there were any.
    private func drain(_ notify: Int32) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 8192)
        var any = false
        while buffer.withUnsafeMutableBytes({ read(notify, $0.baseAddress, $0.count) }) > 0 { any = true }
        return any
    }

    private func addWatches(_ notify: Int32, _ directories: [String], _ watched: inout Set<String>) {
        guard notify >= 0 else { return }
        let mask = UInt32(IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF)
        for directory in directories where !watched.contains(directory) {
            if inotify_add_watch(notify, directory, mask) >= 0 { watched.insert(directory) }
        }
    }
}
